import { checkTtlMs } from './cache';
import { ExpiringMap, type Clock } from './expiring-map';
import {
  checkMembers,
  generationTtlMs,
  type MembersLoader,
  type MembershipCache,
  type MembershipCacheOptions,
  type VersionedMembers,
} from './membership-cache';

/** What the memory adapters share between the membership caches they make. */
export interface MemoryMembershipState {
  /** Relation → its cached members and the generation they were stored at. */
  lists: ExpiringMap<{ members: ReadonlySet<number>; generation: number }>;
  /**
   * Relation → invalidation count, the relation's `version`; a load stores only if the
   * count did not move.
   */
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
    return (await this.versionedMembers(relationId, load)).members;
  }

  async isMember(relationId: number, accountId: number, load: MembersLoader): Promise<boolean> {
    return (await this.entry(relationId, load)).members.has(accountId);
  }

  async version(relationId: number): Promise<number> {
    return this.generation(String(relationId));
  }

  async versionedMembers(relationId: number, load: MembersLoader): Promise<VersionedMembers> {
    const { members, generation } = await this.entry(relationId, load);
    return { members: [...members].sort((a, b) => a - b), version: generation };
  }

  async invalidate(relationIds: number[]): Promise<void> {
    for (const id of relationIds) {
      const key = String(id);
      this.state.generations.set(key, this.generation(key) + 1, generationTtlMs(this.ttlMs));
      this.state.lists.delete(key);
    }
  }

  private generation(key: string): number {
    return this.state.generations.get(key) ?? 0;
  }

  private async entry(
    relationId: number,
    load: MembersLoader,
  ): Promise<{ members: ReadonlySet<number>; generation: number }> {
    const key = String(relationId);
    const cached = this.state.lists.get(key);
    if (cached) return cached;
    const generation = this.generation(key);
    const loaded = {
      members: new Set(checkMembers(relationId, await load(relationId))),
      generation,
    };
    if (this.generation(key) === generation) this.state.lists.set(key, loaded, this.ttlMs);
    return loaded;
  }
}
