import type { BatchHandler, BusRecord } from './bus';

/** Helpers both adapters share, so their delivery behaviour cannot drift apart. */

/** Default of `SubscribeOptions.maxBatchSize`. */
const DEFAULT_MAX_BATCH_SIZE = 500;

/**
 * Delay before delivering again a batch whose handler threw `attempt` times in a row:
 * 200 ms doubling up to 10 s, so a dependency that is down is not hammered while a brief
 * hiccup costs little. Kept below Kafka's default session timeout (30 s) on purpose.
 */
export function redeliveryDelayMs(attempt: number): number {
  return Math.min(10_000, 200 * 2 ** Math.max(0, attempt - 1));
}

/** Encodes a publish argument; strings are UTF-8. */
export function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/**
 * Calls a handler with its own copy of the array, turning a synchronous throw into a
 * rejection, so a redelivery always sees the records it was first given.
 */
export async function runHandler(handle: BatchHandler, records: BusRecord[]): Promise<void> {
  await handle(records.slice());
}

export function validateMaxBatchSize(value: number | undefined): number {
  const size = value ?? DEFAULT_MAX_BATCH_SIZE;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`maxBatchSize must be a positive integer, got ${String(value)}`);
  }
  return size;
}

export function validateConcurrency(value: number | undefined): number {
  const n = value ?? 1;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${String(value)}`);
  }
  return n;
}

/** Resolves after `ms`, or earlier when `wake` is called; never rejects. */
export function interruptibleSleep(ms: number): { done: Promise<void>; wake(): void } {
  let wake!: () => void;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, wake };
}
