import { checkTtlMs } from './cache';
import { ExpiringMap, type Clock } from './expiring-map';
import {
  checkMembers,
  generationTtlMs,
  type MembersLoader,
  type MembershipCache,
  type MembershipCacheOptions,
} from './membership-cache';

/** What the memory adapters share between the membership caches they make. */
export interface MemoryMembershipState {
  lists: ExpiringMap<ReadonlySet<number>>;
  /** Relation → invalidation count; a load stores only if the count did not move. */
  generations: ExpiringMap<number>;
}

export function createMemoryMembershipState(now: Clock): MemoryMembershipState {
  return { lists: new ExpiringMap(now), generations: new ExpiringMap(now) };
}

/** In-process membership cache (the embedded default), with the Redis adapter's semantics. */
export class MemoryMembershipCache implements MembershipCache {
  private readonly ttlMs: number;

  constructor(
    opts: MembershipCacheOptions,
    private readonly state: MemoryMembershipState,
  ) {
    this.ttlMs = checkTtlMs(opts.ttlMs);
  }

  async members(relationId: number, load: MembersLoader): Promise<number[]> {
    return [...(await this.set(relationId, load))].sort((a, b) => a - b);
  }

  async isMember(relationId: number, accountId: number, load: MembersLoader): Promise<boolean> {
    return (await this.set(relationId, load)).has(accountId);
  }

  async invalidate(relationIds: number[]): Promise<void> {
    for (const id of relationIds) {
      const key = String(id);
      const generation = (this.state.generations.get(key) ?? 0) + 1;
      this.state.generations.set(key, generation, generationTtlMs(this.ttlMs));
      this.state.lists.delete(key);
    }
  }

  private async set(relationId: number, load: MembersLoader): Promise<ReadonlySet<number>> {
    const key = String(relationId);
    const cached = this.state.lists.get(key);
    if (cached) return cached;
    const generation = this.state.generations.get(key) ?? 0;
    const loaded = new Set(checkMembers(relationId, await load(relationId)));
    if ((this.state.generations.get(key) ?? 0) === generation) {
      this.state.lists.set(key, loaded, this.ttlMs);
    }
    return loaded;
  }
}
