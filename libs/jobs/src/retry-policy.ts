import { AppError } from '@chat/protocol';

/** How failed jobs are retried; the doc comment of `JobQueue` states the policy. */
export interface RetryPolicy {
  /** Attempts after the first one (`Auto.Retry.MaxTimes`, 3 by default). */
  maxRetries: number;
  /** Wait before the first retry, doubled for each later one (`Auto.Retry.Duration`). */
  firstDelayMs: number;
}

/** The policy of docs/api.md §1.5 from the loaded config (durations are already milliseconds). */
export function retryPolicyFromConfig(retry: {
  readonly Duration: number;
  readonly MaxTimes: number;
}): RetryPolicy {
  return checkRetryPolicy({ maxRetries: retry.MaxTimes, firstDelayMs: retry.Duration });
}

export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  if (!Number.isInteger(policy.maxRetries) || policy.maxRetries < 0) {
    throw new RangeError(
      `retry policy: maxRetries must be an integer ≥ 0, got ${policy.maxRetries}`,
    );
  }
  if (!Number.isFinite(policy.firstDelayMs) || policy.firstDelayMs < 0) {
    throw new RangeError(`retry policy: firstDelayMs must be ≥ 0, got ${policy.firstDelayMs}`);
  }
  return policy;
}

/** Total attempts a job gets. */
export function maxAttempts(policy: RetryPolicy): number {
  return 1 + policy.maxRetries;
}

/**
 * Wait after failed attempt `failedAttempt` (1-based) before the next one: exponential,
 * the same formula BullMQ's built-in `exponential` backoff uses, so both adapters agree.
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempt: number): number {
  return Math.round(policy.firstDelayMs * 2 ** (failedAttempt - 1));
}

/** Only an AppError that says it cannot succeed later is exempt from retries (docs/development.md §6). */
export function isRetryable(err: unknown): boolean {
  return !(err instanceof AppError && !err.retryable);
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(`non-error thrown: ${String(err)}`, { cause: err });
}
