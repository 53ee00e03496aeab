/**
 * Every Redis key this lib writes (STYLE §8), under the configured prefix
 * (`Redis.KeyPrefix`). Emails arrive already normalised to lower case.
 */
export function redisKeys(prefix: string) {
  return {
    /** Hash `{ code, failed_attempts }` (DATA.md §4), lives `Rule.CodeMarkDuration`. */
    emailCode: (email: string) => `${prefix}email:code:${email}`,
    /** Send marker, present for `Rule.UserMarkDuration` after a code was issued. */
    emailMark: (email: string) => `${prefix}email:mark:${email}`,
    /** Hash `{ tokens, at }` of one token bucket. */
    rateBucket: (key: string) => `${prefix}rate:bucket:${key}`,
    /** Sorted set of admitted request times (ms) of one window list. */
    rateWindows: (key: string) => `${prefix}rate:windows:${key}`,
    /** JSON text of one generic cache value. */
    cacheValue: (key: string) => `${prefix}cache:${key}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
