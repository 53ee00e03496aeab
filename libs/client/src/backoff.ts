/** How the socket waits between reconnection attempts. */
export interface BackoffOptions {
  /** The wait before the first retry, before jitter. Default 500 ms. */
  initialDelayMs?: number;
  /** The longest wait, before jitter. Default 30 s. */
  maxDelayMs?: number;
  /** Each failed attempt multiplies the wait by this. Default 2. */
  factor?: number;
  /**
   * The share of the wait that is random, 0 … 1. Default 0.5: a wait of `d` becomes a random
   * value in [d/2, d], so clients cut off together (a server restart) do not return together.
   */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.5,
};

/**
 * The wait before reconnection attempt `attempt` (0 for the first retry after a drop):
 * `min(maxDelayMs, initialDelayMs × factor^attempt)`, then reduced by up to `jitter` of itself.
 * `random` returns a number in [0, 1), like `Math.random`.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialDelayMs, maxDelayMs, factor, jitter } = { ...DEFAULT_BACKOFF, ...options };
  const share = Math.min(1, Math.max(0, jitter));
  const base = Math.min(maxDelayMs, initialDelayMs * factor ** Math.max(0, attempt));
  return Math.round(base * (1 - share * random()));
}
