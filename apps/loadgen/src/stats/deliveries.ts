import { SeqBits } from './seq-bits';

/** What one receiving socket got from one sending socket. */
export interface Receipt {
  /** Receiving socket. */
  socket: number;
  /** Sending socket. */
  from: number;
  /** Sequence numbers received at least once. */
  seqs: Uint8Array;
  /** Receipts beyond the first of a sequence number. */
  duplicates: number;
  /** Receipts with a lower sequence number than the one before from the same sender. */
  outOfOrder: number;
}

/** Delivery counts of a run, over every (sender, receiver) pair the topology implies. */
export interface DeliveryTally {
  /** Acked messages × the sockets that should receive each. */
  expected: number;
  /** Distinct (message, receiving socket) pairs seen, wherever they came from. */
  delivered: number;
  /** Expected deliveries that never arrived. */
  missing: number;
  /** Second and later receipts of a message at the same socket. */
  duplicates: number;
  /** Receipts out of send order between one sender and one receiver. */
  outOfOrder: number;
  /** Messages received whose send was never acked (timed out or failed). */
  unacked: number;
  /** Receipts at a socket that should not have received that sender's messages. */
  misrouted: number;
}

/**
 * Counts missing and duplicate deliveries: `receiversOf[s]` lists the sockets that must get
 * every message that socket `s` had acked (`acked.get(s)`); `receipts` says what each
 * socket got.
 */
export function tallyDeliveries(
  receiversOf: readonly (readonly number[])[],
  acked: ReadonlyMap<number, SeqBits>,
  receipts: readonly Receipt[],
): DeliveryTally {
  const got = new Map<string, SeqBits>();
  const t: DeliveryTally = {
    expected: 0,
    delivered: 0,
    missing: 0,
    duplicates: 0,
    outOfOrder: 0,
    unacked: 0,
    misrouted: 0,
  };
  for (const r of receipts) {
    const seqs = SeqBits.fromBytes(r.seqs);
    got.set(`${r.socket}>${r.from}`, seqs);
    t.delivered += seqs.size();
    t.duplicates += r.duplicates;
    t.outOfOrder += r.outOfOrder;
  }
  const none = new SeqBits(1);
  const expectedPairs = new Set<string>();
  receiversOf.forEach((receivers, sender) => {
    const sent = acked.get(sender) ?? none;
    const sentCount = sent.size();
    for (const receiver of receivers) {
      const key = `${receiver}>${sender}`;
      expectedPairs.add(key);
      const seen = got.get(key) ?? none;
      t.expected += sentCount;
      t.missing += sent.countNotIn(seen);
      t.unacked += seen.countNotIn(sent);
    }
  });
  for (const [key, seqs] of got) if (!expectedPairs.has(key)) t.misrouted += seqs.size();
  return t;
}
