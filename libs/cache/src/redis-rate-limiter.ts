import { type RateWindow } from '@chat/config';
import { type Redis } from 'ioredis';
import { type RedisKeys } from './keys';
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
import { defineScript, redisCall, type ScriptRunner } from './redis-call';

/**
 * Time inside the scripts is the Redis server's clock (TIME, whole milliseconds), never
 * the caller's: every api instance then shares one clock however their own clocks drift.
 * Redis ≥ 5 replicates scripts by their effects, so writing after TIME is allowed.
 */
const NOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: bucket hash `{ tokens, at }`. ARGV: bucket, refill, interval ms, cost. Returns 0
 * when admitted, else the milliseconds until enough tokens have accrued. An absent hash is
 * a full bucket; the hash expires when the bucket would be full again. The 1e-9 tolerance
 * absorbs float rounding (as in the memory adapter), so waiting the wait returned suffices.
 */
const BUCKET_LUA = `${NOW_LUA}
local bucket, refill = tonumber(ARGV[1]), tonumber(ARGV[2])
local interval, cost = tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or bucket
local at = tonumber(state[2]) or now
local elapsed = math.max(0, now - at)
tokens = math.min(bucket, tokens + elapsed * refill / interval)
if tokens < cost - 1e-9 then return math.ceil((cost - tokens) * interval / refill) end
tokens = tokens - cost
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((bucket - tokens) * interval / refill)))
return 0
`;

/**
 * KEYS: sorted set of admitted request times (score = member time, ms). ARGV: 1 to record
 * an admitted request (0 to only check), then pairs of count, window ms. A request at time t counts in a window W while now - W < t. Returns 0
 * when admitted (and recorded), else the milliseconds until every window allows it. Members
 * are "time:n", n counting earlier members of the same millisecond, so they stay unique;
 * entries older than the longest window are trimmed, so the set holds at most the largest
 * count.
 */
const WINDOWS_LUA = `${NOW_LUA}
local longest = 0
for i = 3, #ARGV, 2 do longest = math.max(longest, tonumber(ARGV[i])) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local retry = 0
for i = 2, #ARGV, 2 do
  local count, window = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local since = '(' .. (now - window)
  local inside = redis.call('ZCOUNT', KEYS[1], since, '+inf')
  if inside >= count then
    local leaving = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf', 'WITHSCORES', 'LIMIT', inside - count, 1)
    retry = math.max(retry, tonumber(leaving[2]) + window - now)
  end
end
if retry > 0 then return math.ceil(retry) end
if ARGV[1] ~= '1' then return 0 end
local n = redis.call('ZCOUNT', KEYS[1], now, now)
redis.call('ZADD', KEYS[1], now, now .. ':' .. n)
redis.call('PEXPIRE', KEYS[1], longest)
return 0
`;

/** Rate limits in Redis: one Lua script per decision, so concurrent takes never over-admit. */
export class RedisRateLimiter implements RateLimiter {
  private readonly bucketScript: ScriptRunner;
  private readonly windowsScript: ScriptRunner;

  /** `redis` is shared and owned by the caller, who closes it. */
  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.bucketScript = defineScript(redis, 'chatCacheTakeToken', 1, BUCKET_LUA);
    // Named for its arguments: a server holding an older script under the old name is not asked.
    this.windowsScript = defineScript(redis, 'chatCacheTakeWindows2', 1, WINDOWS_LUA);
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

  private async takeToken(key: string, rule: TokenBucketRule): Promise<RateDecision> {
    const wait = await redisCall('take rate token', () =>
      this.bucketScript(
        [this.keys.rateBucket(key)],
        [rule.bucket, rule.refill, rule.intervalMs, rule.cost],
      ),
    );
    return decision(wait);
  }

  private async takeWindows(
    key: string,
    windows: RateWindow[],
    record = true,
  ): Promise<RateDecision> {
    const args = [record ? 1 : 0, ...windows.flatMap((w) => [w.Count, w.Window])];
    const wait = await redisCall(record ? 'take rate windows' : 'check rate windows', () =>
      this.windowsScript([this.keys.rateWindows(key)], args),
    );
    return decision(wait);
  }
}

function decision(waitMs: unknown): RateDecision {
  const retryAfterMs = Number(waitMs);
  return retryAfterMs > 0 ? { allowed: false, retryAfterMs } : ALLOWED;
}
