import { checkTtlMs } from './cache';
import type { Clock } from './expiring-map';
import type { MembersLoader, MembershipCache } from './membership-cache';

export interface LocalMembershipCacheOptions {
  /** How long a list is answered from this process before the shared cache is asked again. */
  ttlMs: number;
  /** Most relations held; past it the oldest entries are dropped (default 100 000). */
  maxEntries?: number;
  now?: Clock;
}

interface LocalEntry {
  members: ReadonlySet<number>;
  expiresAt: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * An in-process front for a shared membership cache, so that authorising a `send_msg`
 * costs a map lookup rather than a Redis round trip (issue 10: the round trips per message
 * were most of the gateway's CPU). It is sound only in a process that sees every
 * invalidation itself: each gateway consumes `chat.events` in a group of its own and calls
 * `invalidate`, which clears this layer before the shared one. A load that an invalidation
 * overtook is answered but not kept, as in the shared adapters.
 */
export class LocalMembershipCache implements MembershipCache {
  private readonly entries = new Map<number, LocalEntry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: Clock;
  /** Bumped by every invalidation; a load started before a bump is not kept. */
  private generation = 0;

  constructor(
    private readonly shared: MembershipCache,
    opts: LocalMembershipCacheOptions,
  ) {
    this.ttlMs = checkTtlMs(opts.ttlMs);
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = opts.now ?? Date.now;
  }

  async members(relationId: number, load: MembersLoader): Promise<number[]> {
    return [...(await this.set(relationId, load))].sort((a, b) => a - b);
  }

  async isMember(relationId: number, accountId: number, load: MembersLoader): Promise<boolean> {
    const hit = this.hit(relationId);
    if (hit) return hit.has(accountId);
    return (await this.set(relationId, load)).has(accountId);
  }

  async invalidate(relationIds: number[]): Promise<void> {
    this.generation++;
    for (const id of relationIds) this.entries.delete(id);
    await this.shared.invalidate(relationIds);
  }

  private hit(relationId: number): ReadonlySet<number> | undefined {
    const entry = this.entries.get(relationId);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now()) return entry.members;
    this.entries.delete(relationId);
    return undefined;
  }

  private async set(relationId: number, load: MembersLoader): Promise<ReadonlySet<number>> {
    const hit = this.hit(relationId);
    if (hit) return hit;
    const generation = this.generation;
    const members = new Set(await this.shared.members(relationId, load));
    if (generation === this.generation) {
      if (this.entries.size >= this.maxEntries) {
        // Maps iterate in insertion order: the first key is the oldest entry.
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
      this.entries.set(relationId, { members, expiresAt: this.now() + this.ttlMs });
    }
    return members;
  }
}
