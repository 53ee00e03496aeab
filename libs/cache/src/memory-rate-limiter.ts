import { type RateWindow } from '@chat/config';
import { ExpiringMap, type Clock } from './expiring-map';
import {
  ALLOWED,
  activeWindows,
  isBucketDisabled,
  isWindowList,
  type RateDecision,
  type RateLimiter,
  type RateRule,
  type TokenBucketRule,
} from './rate-limiter';

/** Also in the Redis script: both adapters must round alike. */
const TOKEN_TOLERANCE = 1e-9;

interface BucketState {
  tokens: number;
  /** When `tokens` was last computed, in milliseconds. */
  at: number;
}

/**
 * In-process rate limits (the embedded default), with the same arithmetic as the Redis
 * scripts. Time comes from the injected clock. A bucket's state expires once the bucket
 * would be full again and a window log once its newest entry leaves the longest window, so
 * state for idle keys is dropped (see `ExpiringMap`).
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets: ExpiringMap<BucketState>;
  /** Per key, the times (ascending) of admitted requests still inside the longest window. */
  private readonly logs: ExpiringMap<number[]>;

  constructor(private readonly now: Clock = Date.now) {
    this.buckets = new ExpiringMap(now);
    this.logs = new ExpiringMap(now);
  }

  async take(key: string, rule: RateRule): Promise<RateDecision> {
    if (isWindowList(rule)) {
      const windows = activeWindows(rule);
      return windows.length ? this.takeWindows(key, windows) : ALLOWED;
    }
    return isBucketDisabled(rule) ? ALLOWED : this.takeToken(key, rule);
  }

  async check(key: string, rule: readonly RateWindow[]): Promise<RateDecision> {
    const windows = activeWindows(rule);
    return windows.length ? this.takeWindows(key, windows, false) : ALLOWED;
  }

  private takeToken(key: string, rule: TokenBucketRule): RateDecision {
    const { bucket, refill, intervalMs, cost } = rule;
    const now = this.now();
    const state = this.buckets.get(key) ?? { tokens: bucket, at: now };
    const elapsedMs = Math.max(0, now - state.at);
    let tokens = Math.min(bucket, state.tokens + (elapsedMs * refill) / intervalMs);
    // The tolerance absorbs float rounding, so waiting the retryAfterMs given is enough.
    if (tokens < cost - TOKEN_TOLERANCE) {
      return { allowed: false, retryAfterMs: Math.ceil(((cost - tokens) * intervalMs) / refill) };
    }
    tokens -= cost;
    const fullInMs = Math.max(1, Math.ceil(((bucket - tokens) * intervalMs) / refill));
    this.buckets.set(key, { tokens, at: now }, fullInMs);
    return ALLOWED;
  }

  private takeWindows(key: string, windows: RateWindow[], record = true): RateDecision {
    const now = this.now();
    const longestMs = Math.max(...windows.map((w) => w.Window));
    // A request at time t counts in a window of length W while now - W < t.
    const log = (this.logs.get(key) ?? []).filter((t) => t > now - longestMs);
    let retryAfterMs = 0;
    for (const { Count, Window } of windows) {
      const inside = log.filter((t) => t > now - Window);
      if (inside.length >= Count) {
        // The request can pass once enough entries have left this window.
        const leaving = inside[inside.length - Count];
        retryAfterMs = Math.max(retryAfterMs, leaving + Window - now);
      }
    }
    if (retryAfterMs > 0) return { allowed: false, retryAfterMs: Math.ceil(retryAfterMs) };
    if (!record) return ALLOWED;
    log.push(now);
    this.logs.set(key, log, longestMs);
    return ALLOWED;
  }
}
