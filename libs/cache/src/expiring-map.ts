/** A clock in milliseconds; tests pass one they can move. */
export type Clock = () => number;

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * The memory adapters' store: a map whose entries vanish at their expiry time. Reads
 * ignore expired entries; writes sweep the whole map at most once per `sweepEveryMs`, so
 * keys that are never read again (one per client IP, say) cannot pile up without bound.
 * No timer is involved, so there is nothing to stop and the clock may be a fake one.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private nextSweepAt: number;

  constructor(
    private readonly now: Clock,
    private readonly sweepEveryMs = 1000,
  ) {
    this.nextSweepAt = now() + sweepEveryMs;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Milliseconds until `key` expires, or 0 when it is absent. */
  remainingMs(key: string): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    return Math.max(0, entry.expiresAt - this.now());
  }

  /** Stores `value` until `ttlMs` from now; a `ttlMs` of 0 or less removes the key. */
  set(key: string, value: V, ttlMs: number): void {
    const now = this.now();
    this.sweep(now);
    if (ttlMs <= 0) this.entries.delete(key);
    else this.entries.set(key, { value, expiresAt: now + ttlMs });
  }

  delete(key: string): boolean {
    return this.get(key) !== undefined && this.entries.delete(key);
  }

  /** Entries held, expired ones included until the next sweep. */
  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + this.sweepEveryMs;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
