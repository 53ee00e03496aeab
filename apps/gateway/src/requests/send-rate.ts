import { LIMIT_KEYS, type RateLimiter } from '@chat/cache';
import type { RateWindow } from '@chat/config';
import { ErrorCode } from '@chat/protocol';
import { RetryLaterError, withoutStack } from './retry-later';

/**
 * `send_msg` refused because the account sent too many messages lately
 * (`Gateway.SendRate`): 1004 with `data.retry_after_ms`, the wait after which the same
 * message can pass. Told apart from the pipeline's refusal by its `status_msg` only: a
 * client does the same for both (waits, then sends again with the same `client_msg_id`).
 */
export class SendRateError extends RetryLaterError {
  constructor(retryAfterMs: number) {
    super(
      ErrorCode.TooManyRequests,
      'too many messages from this account; send again after retry_after_ms',
      retryAfterMs,
    );
    this.name = 'SendRateError';
  }
}

/** The limiter key of an account's sends (under the cache's `rate:windows:` keys). */
export function sendRateKey(accountId: number): string {
  return LIMIT_KEYS.send(accountId);
}

/**
 * Messages per account over all its sockets and every gateway (`Gateway.SendRate`): the
 * rate limiter is the shared one (Redis; in memory in the one-process server), so the
 * windows hold however an account spreads its sockets. A refused message counts for nothing
 * and nothing of it is produced or stored.
 */
export class SendRate {
  private readonly windows: RateWindow[];

  constructor(
    private readonly limiter: Pick<RateLimiter, 'take'>,
    windows: readonly RateWindow[],
    /** Told of each refusal (the metric). */
    private readonly onRefused?: () => void,
  ) {
    // A window of count or length 0 is off (docs/limits.md); none left: nothing to ask.
    this.windows = windows.filter((w) => w.Count > 0 && w.Window > 0);
  }

  /** Counts one message of `accountId`; throws `SendRateError` when a window is full. */
  async take(accountId: number): Promise<void> {
    if (this.windows.length === 0) return;
    const decision = await this.limiter.take(sendRateKey(accountId), this.windows);
    if (decision.allowed) return;
    this.onRefused?.();
    throw withoutStack(() => new SendRateError(decision.retryAfterMs));
  }
}
