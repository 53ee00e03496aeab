import { checkTtlMs, toJson, type Cache } from './cache';
import { ExpiringMap, type Clock } from './expiring-map';

/**
 * In-process cache (the embedded default). Values are kept as JSON text so that reads
 * return copies, exactly as from Redis.
 */
export class MemoryCache implements Cache {
  private readonly values: ExpiringMap<string>;

  constructor(now: Clock = Date.now) {
    this.values = new ExpiringMap(now);
  }

  async get<T>(key: string): Promise<T | undefined> {
    const json = this.values.get(key);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    this.values.set(key, toJson(value), checkTtlMs(ttlMs));
  }

  async del(key: string): Promise<boolean> {
    return this.values.delete(key);
  }

  async setIfAbsent(key: string, value: unknown, ttlMs: number): Promise<boolean> {
    const json = toJson(value);
    const ttl = checkTtlMs(ttlMs);
    if (this.values.get(key) !== undefined) return false;
    this.values.set(key, json, ttl);
    return true;
  }

  async releaseLock(key: string, holder: string): Promise<boolean> {
    if (this.values.get(key) !== toJson(holder)) return false;
    return this.values.delete(key);
  }
}
