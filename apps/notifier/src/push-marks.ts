import { ENTRY_KEYS, type Cache } from '@chat/cache';

/**
 * How long a mark is kept. Marks only have to outlive redeliveries (a worker's crash and
 * restart, a rebalance: seconds to minutes); a mark that expired costs a push planned
 * again, which the gateways drop by its source when it is a redelivery.
 */
export const MARK_TTL_MS = 60 * 60 * 1000;

/** The notifier's cache keys, named in `ENTRY_KEYS` (docs/development.md §8). */
export const markKeys = {
  stored: ENTRY_KEYS.pushedStored,
  read: ENTRY_KEYS.pushedRead,
  event: ENTRY_KEYS.pushedEvent,
};

/**
 * What has been pushed already, shared by every notifier through the cache, so that a
 * record delivered again (a redelivered batch, or the persister announcing a stored message
 * a second time) is not planned again. Marks are written after the pushes are published:
 * a worker dying in between leaves its batch unmarked and uncommitted, so the batch is
 * planned and published again, and the gateways write each repeated delivery record to
 * nobody (`DeliveryRecord.source`). Never a push lost for a mark written too early.
 */
export class PushMarks {
  constructor(
    private readonly cache: Pick<Cache, 'get' | 'set'>,
    private readonly ttlMs = MARK_TTL_MS,
  ) {}

  /** The high-water marks of `keys` (absent ones are left out). */
  async read(keys: string[]): Promise<Map<string, number>> {
    const unique = [...new Set(keys)];
    const values = await Promise.all(unique.map((k) => this.cache.get<number>(k)));
    const out = new Map<string, number>();
    unique.forEach((k, i) => {
      const v = values[i];
      if (typeof v === 'number') out.set(k, v);
    });
    return out;
  }

  /** Writes the marks of `next` that moved past `previous`. */
  async raise(previous: Map<string, number>, next: Map<string, number>): Promise<void> {
    const changed = [...next].filter(([k, v]) => v > (previous.get(k) ?? 0));
    await Promise.all(changed.map(([k, v]) => this.cache.set(k, v, this.ttlMs)));
  }
}
