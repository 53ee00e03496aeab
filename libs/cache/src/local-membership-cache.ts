import { checkTtlMs } from './cache';
import type { Clock } from './expiring-map';
import type { MembersLoader, MembershipCache, VersionedMembers } from './membership-cache';

export interface LocalMembershipCacheOptions {
  /** How long a list is kept in this process before it is read from the shared cache again. */
  ttlMs: number;
  /** Most relations held; past it the oldest entries are dropped (default 100 000). */
  maxEntries?: number;
  now?: Clock;
}

interface LocalEntry {
  members: ReadonlySet<number>;
  /** The shared cache's membership version of the relation when the list was read. */
  version: number;
  expiresAt: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * An in-process front for a shared membership cache, so that authorising a `send_msg`
 * costs one small read of the shared store rather than a set lookup there, and never a
 * query (issue 10: the round trips per message were most of the gateway's CPU).
 *
 * Each list held here remembers the relation's membership version it was read at, and
 * every check reads the current version from the shared cache first: a list is answered
 * only while the version has not moved, otherwise it is read again. Whoever changes a
 * membership invalidates the shared cache (which moves the version) after the commit and
 * before answering (the api's unit of work), so a member who left is refused from that
 * moment on, in every process, even though this front is only cleared when the relayed
 * `chat.events` record arrives (the gateway's events consumer calls `invalidate`), which
 * can be late. The version read is issued before the check's first `await`, so the caller
 * can issue its other reads of the same tick beside it (with Redis auto-pipelining they
 * share one round trip). A load that an invalidation overtook is answered but not kept.
 */
export class LocalMembershipCache implements MembershipCache {
  private readonly entries = new Map<number, LocalEntry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: Clock;
  /** Bumped by every invalidation here; a load started before a bump is not kept. */
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
    return (await this.versionedMembers(relationId, load)).members;
  }

  async isMember(relationId: number, accountId: number, load: MembersLoader): Promise<boolean> {
    const entry = this.hit(relationId);
    if (entry && (await this.shared.version(relationId)) === entry.version) {
      return entry.members.has(accountId);
    }
    return (await this.refresh(relationId, load)).members.has(accountId);
  }

  version(relationId: number): Promise<number> {
    return this.shared.version(relationId);
  }

  async versionedMembers(relationId: number, load: MembersLoader): Promise<VersionedMembers> {
    const entry = this.hit(relationId);
    if (entry) {
      const version = await this.shared.version(relationId);
      if (version === entry.version) {
        return { members: [...entry.members].sort((a, b) => a - b), version };
      }
    }
    const { members, version } = await this.refresh(relationId, load);
    return { members: [...members].sort((a, b) => a - b), version };
  }

  async invalidate(relationIds: number[]): Promise<void> {
    this.generation++;
    for (const id of relationIds) this.entries.delete(id);
    await this.shared.invalidate(relationIds);
  }

  private hit(relationId: number): LocalEntry | undefined {
    const entry = this.entries.get(relationId);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now()) return entry;
    this.entries.delete(relationId);
    return undefined;
  }

  /** Reads the list and its version from the shared cache and keeps them here. */
  private async refresh(relationId: number, load: MembersLoader): Promise<LocalEntry> {
    const generation = this.generation;
    const read = await this.shared.versionedMembers(relationId, load);
    const entry: LocalEntry = {
      members: new Set(read.members),
      version: read.version,
      expiresAt: this.now() + this.ttlMs,
    };
    if (generation === this.generation) {
      // Re-inserted at the end: maps iterate in insertion order, the first key is the oldest.
      this.entries.delete(relationId);
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
      this.entries.set(relationId, entry);
    }
    return entry;
  }
}
