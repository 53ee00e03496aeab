import { tallyDeliveries, type Receipt } from './deliveries';
import { SeqBits } from './seq-bits';

const bits = (...seqs: number[]) => {
  const s = new SeqBits();
  for (const q of seqs) s.add(q);
  return s;
};
const receipt = (socket: number, from: number, seqs: number[], extra: Partial<Receipt> = {}) => ({
  socket,
  from,
  seqs: bits(...seqs).toBytes(),
  duplicates: 0,
  outOfOrder: 0,
  ...extra,
});

describe('SeqBits', () => {
  it('grows, counts and tells new members from repeats', () => {
    const s = new SeqBits(1);
    expect(s.add(0)).toBe(true);
    expect(s.add(1000)).toBe(true);
    expect(s.add(1000)).toBe(false);
    expect(s.has(1000)).toBe(true);
    expect(s.has(999)).toBe(false);
    expect(s.size()).toBe(2);
    expect(bits(1, 2, 3, 900).countNotIn(bits(2, 3))).toBe(2);
    expect(SeqBits.fromBytes(s.toBytes()).size()).toBe(2);
  });
});

describe('tallyDeliveries', () => {
  it('counts nothing wrong when every receiver got every acked message once', () => {
    // Sockets 0 and 1 are friends; socket 2 is a second device of socket 0's account.
    const receiversOf = [
      [1, 2],
      [0, 2],
      [1, 0],
    ];
    const acked = new Map([
      [0, bits(0, 1, 2)],
      [1, bits(0, 1)],
      [2, bits()],
    ]);
    const t = tallyDeliveries(receiversOf, acked, [
      receipt(1, 0, [0, 1, 2]),
      receipt(2, 0, [0, 1, 2]),
      receipt(0, 1, [0, 1]),
      receipt(2, 1, [0, 1]),
    ]);
    expect(t).toEqual({
      expected: 10,
      delivered: 10,
      missing: 0,
      duplicates: 0,
      outOfOrder: 0,
      unacked: 0,
      misrouted: 0,
    });
  });

  it('finds missing messages per receiver even when another receiver got extra', () => {
    const t = tallyDeliveries([[1, 2]], new Map([[0, bits(0, 1, 2, 3)]]), [
      receipt(1, 0, [0, 1, 2, 3], { duplicates: 2, outOfOrder: 1 }),
      receipt(2, 0, [0, 3]),
    ]);
    expect(t.expected).toBe(8);
    expect(t.delivered).toBe(6);
    expect(t.missing).toBe(2);
    expect(t.duplicates).toBe(2);
    expect(t.outOfOrder).toBe(1);
  });

  it('tells deliveries of unacked sends and receipts at the wrong socket apart', () => {
    const t = tallyDeliveries(
      [[1], []],
      new Map([
        [0, bits(0)],
        [1, bits(0)],
      ]),
      [receipt(1, 0, [0, 1]), receipt(0, 1, [0])],
    );
    expect(t.missing).toBe(0);
    expect(t.unacked).toBe(1);
    expect(t.misrouted).toBe(1);
  });
});
