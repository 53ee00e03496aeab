import { type RateWindow } from '@chat/config';

/**
 * A token bucket (docs/api.md §1.5 `Limit.IPLimit`): holds at most `bucket` tokens, gains
 * `refill` tokens per `intervalMs` (continuously, pro rata), and each request takes `cost`.
 */
export interface TokenBucketRule {
  bucket: number;
  refill: number;
  intervalMs: number;
  cost: number;
}

/**
 * Either a token bucket or sliding windows (`Limit.APILimit.*`: "5 per 1 s and 30 per
 * 1 min"), every one of which must allow the request. `Window` is in milliseconds.
 */
export type RateRule = TokenBucketRule | readonly RateWindow[];

export interface RateDecision {
  allowed: boolean;
  /** 0 when allowed; otherwise the least wait after which the same request can pass. */
  retryAfterMs: number;
}

/**
 * Counts requests per key against a rule, atomically across every process sharing the
 * limiter. A refused request consumes nothing. A disabled rule (docs/api.md §1.5: a limit of 0
 * disables it; see `isRuleDisabled`) always allows, without touching any store.
 */
export interface RateLimiter {
  /** Records one request for `key` if `rule` allows it now, and says whether it did. */
  take(key: string, rule: RateRule): Promise<RateDecision>;
  /**
   * Whether `windows` would allow one more request for `key` now, recording nothing: for
   * limits that count only some outcomes (failed logins), checked before the work and
   * `take`n after it when the outcome counts.
   */
  check(key: string, windows: readonly RateWindow[]): Promise<RateDecision>;
}

export const ALLOWED: RateDecision = Object.freeze({ allowed: true, retryAfterMs: 0 });

export function isWindowList(rule: RateRule): rule is readonly RateWindow[] {
  return Array.isArray(rule);
}

/**
 * Windows with a count or length of 0 are disabled one by one (docs/api.md §1.5); what remains
 * must all allow a request.
 */
export function activeWindows(windows: readonly RateWindow[]): RateWindow[] {
  return windows
    .filter((w) => w.Count > 0 && w.Window > 0)
    .map((w) => ({ Count: Math.floor(w.Count), Window: Math.ceil(w.Window) }));
}

/**
 * A bucket of size 0 or a cost of 0 lets everything through; so does a refill of 0, since a
 * bucket that never refills would lock a client out for good, which no setting can mean.
 */
export function isBucketDisabled(rule: TokenBucketRule): boolean {
  return !(rule.bucket > 0 && rule.cost > 0 && rule.refill > 0 && rule.intervalMs > 0);
}
