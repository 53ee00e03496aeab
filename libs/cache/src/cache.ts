/**
 * A shared key-value cache of JSON values with expiry (docs/data-model.md §4: send dedup, membership,
 * the cleanup job lock). Values are stored as JSON, so what `get` returns is a copy: a
 * `Date` comes back as a string and `undefined` fields are dropped. Every key expires
 * `ttlMs` after it was written; an expired key reads as absent.
 */
export interface Cache {
  /** The value stored under `key`, or `undefined` when absent or expired. */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores `value` under `key` for `ttlMs`, replacing whatever was there. */
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** Removes `key`; true when it existed. */
  del(key: string): Promise<boolean>;
  /**
   * Stores `value` for `ttlMs` only if `key` is absent, atomically: among concurrent callers
   * exactly one gets true. With a holder id as the value this is a cluster-wide lock that
   * frees itself after `ttlMs`.
   */
  setIfAbsent(key: string, value: unknown, ttlMs: number): Promise<boolean>;
  /**
   * Removes the lock `key` only while it still holds `holder` (the value given to
   * `setIfAbsent`), atomically, so a holder whose lock expired never frees another's.
   */
  releaseLock(key: string, holder: string): Promise<boolean>;
}

/** JSON text of a value, refusing what JSON cannot hold. */
export function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('cache: value is not JSON-serialisable');
  return json;
}

/** A whole number of milliseconds of at least 1, or a RangeError. */
export function checkTtlMs(ttlMs: number): number {
  if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) {
    throw new RangeError(`cache: ttlMs must be a positive finite number, got ${ttlMs}`);
  }
  return Math.ceil(ttlMs);
}
