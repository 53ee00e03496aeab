/** A topic exists but some partition has no leader yet. */
export class TopicNotReadyError extends Error {
  readonly retriable = true;
  constructor(topics: string) {
    super(`topic partitions without a leader yet: ${topics}`);
  }
}

/** Broker answers that mean "not yet" while topics or group coordinators are being set up. */
const SETTLING = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
]);

/** True when `err`, or an error it wraps, is one of the `SETTLING` answers. */
export function isSettling(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    const x = e as { type?: string; originalError?: unknown; cause?: unknown };
    if (e instanceof TopicNotReadyError || (x.type && SETTLING.has(x.type))) return true;
    e = x.originalError ?? x.cause;
  }
  return false;
}

/**
 * Runs `fn` until it stops failing with a settling answer (topics just created by this or
 * another process, a coordinator loading), for at most `patienceMs`; other errors at once.
 */
export async function untilSettled<T>(fn: () => Promise<T>, patienceMs = 30_000): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await fn();
    } catch (err) {
      if (!isSettling(err) || Date.now() + delay > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
