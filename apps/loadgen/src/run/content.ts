/**
 * The text of a load message: `lg:<run>:<sender socket>:<seq>:<sent at, epoch µs>:` and
 * padding up to the requested size. The receiving socket reads the sender, the sequence
 * number (for missing / duplicate counts) and the send time (for send→delivery latency)
 * back from the push; ids and times come from this machine's clock, shared by every worker.
 */
export interface MessageStamp {
  sender: number;
  seq: number;
  sentAtUs: number;
}

/** The content every message of run `runId` starts with. */
export function contentPrefix(runId: string): string {
  return `lg:${runId}:`;
}

export function encodeContent(runId: string, stamp: MessageStamp, size: number): string {
  const head = `${contentPrefix(runId)}${stamp.sender}:${stamp.seq}:${Math.round(stamp.sentAtUs)}:`;
  return head.length >= size ? head : head + 'x'.repeat(size - head.length);
}

/** The stamp of a message of run `runId`; undefined for any other text. */
export function decodeContent(runId: string, text: string): MessageStamp | undefined {
  const prefix = contentPrefix(runId);
  if (!text.startsWith(prefix)) return undefined;
  const parts = text.slice(prefix.length).split(':', 3);
  if (parts.length < 3) return undefined;
  const [sender, seq, sentAtUs] = parts.map(Number);
  if (![sender, seq, sentAtUs].every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
  return { sender, seq, sentAtUs };
}
