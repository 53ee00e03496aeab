import { type Redis } from 'ioredis';
import { checkTtlMs, toJson, type Cache } from './cache';
import { type RedisKeys } from './keys';
import { defineScript, redisCall, type ScriptRunner } from './redis-call';

/** KEYS: lock. ARGV: JSON of the holder. Deletes the key only while it holds that value. */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** The cache in Redis: one string key of JSON text per entry, with a PX expiry. */
export class RedisCache implements Cache {
  private readonly releaseScript: ScriptRunner;

  /** `redis` is shared and owned by the caller, who closes it. */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.releaseScript = defineScript(redis, 'chatCacheReleaseLock', 1, RELEASE_LUA);
  }

  async get<T>(key: string): Promise<T | undefined> {
    const json = await redisCall('cache get', () => this.redis.get(this.keys.cacheValue(key)));
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const json = toJson(value);
    const ttl = checkTtlMs(ttlMs);
    await redisCall('cache set', () => this.redis.set(this.keys.cacheValue(key), json, 'PX', ttl));
  }

  async del(key: string): Promise<boolean> {
    const removed = await redisCall('cache del', () => this.redis.del(this.keys.cacheValue(key)));
    return removed > 0;
  }

  async setIfAbsent(key: string, value: unknown, ttlMs: number): Promise<boolean> {
    const json = toJson(value);
    const ttl = checkTtlMs(ttlMs);
    const reply = await redisCall('cache set if absent', () =>
      this.redis.set(this.keys.cacheValue(key), json, 'PX', ttl, 'NX'),
    );
    return reply === 'OK';
  }

  async releaseLock(key: string, holder: string): Promise<boolean> {
    const removed = await redisCall('cache release lock', () =>
      this.releaseScript([this.keys.cacheValue(key)], [toJson(holder)]),
    );
    return Number(removed) === 1;
  }
}
