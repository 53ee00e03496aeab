import { ENTRY_KEYS, type Cache } from '@chat/cache';

/** Undoes marks written for pushes that were then not published. */
export type Undo = () => Promise<void>;

/**
 * How long a mark is kept. Marks only have to outlive redeliveries (a worker's crash and
 * restart, a rebalance: seconds to minutes); a mark that expired costs at most a repeated
 * push, never a lost one.
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
 * a second time) pushes nothing new: pushes are at most once per connection (docs/protocol.md §5).
 * Marks are written before the pushes are published and undone if publishing fails; a
 * worker dying in between loses those pushes rather than repeating them.
 */
export class PushMarks {
  constructor(
    private readonly cache: Pick<Cache, 'get' | 'set' | 'del' | 'setIfAbsent'>,
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

  /** Writes the marks of `next` that moved past `previous`; the undo puts them back. */
  async raise(previous: Map<string, number>, next: Map<string, number>): Promise<Undo> {
    const changed = [...next].filter(([k, v]) => v > (previous.get(k) ?? 0));
    await Promise.all(changed.map(([k, v]) => this.cache.set(k, v, this.ttlMs)));
    return async () => {
      await Promise.all(
        changed.map(([k]) => {
          const before = previous.get(k);
          return before === undefined ? this.cache.del(k) : this.cache.set(k, before, this.ttlMs);
        }),
      );
    };
  }

  /** Claims each key once: the set of keys this call claimed, and an undo that frees them. */
  async claim(keys: string[]): Promise<{ claimed: Set<string>; undo: Undo }> {
    const unique = [...new Set(keys)];
    const won = await Promise.all(unique.map((k) => this.cache.setIfAbsent(k, 1, this.ttlMs)));
    const claimed = new Set(unique.filter((_, i) => won[i]));
    return {
      claimed,
      undo: async () => void (await Promise.all([...claimed].map((k) => this.cache.del(k)))),
    };
  }
}
