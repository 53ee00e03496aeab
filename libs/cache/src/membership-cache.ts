/** Reads the member account ids of a relation from the database (the source of truth). */
export type MembersLoader = (relationId: number) => Promise<number[]>;

export interface MembershipCacheOptions {
  /**
   * Safety net: a cached member list is dropped this long after it was loaded even if no
   * invalidation arrives (a lost `chat.events` record can then be stale for at most this).
   */
  ttlMs: number;
}

/** A relation's member ids, ascending, and the membership version they are current at. */
export interface VersionedMembers {
  members: number[];
  version: number;
}

/**
 * Member lists per relation (docs/data-model.md §4 "membership, per relation"), so that authorising a
 * `send_msg` or `read_msg` costs a cache read, not a query (docs/architecture.md, gateway).
 * Whoever changes a membership calls `invalidate` (the gateways do it for every
 * `effects.membershipChanged` of `chat.events`). Shared by every process on the same store.
 */
export interface MembershipCache {
  /**
   * Member account ids of the relation, ascending. On a miss `load` reads them and the
   * result is cached, unless an `invalidate` of the relation ran while it was loading: a
   * list read before a change is never cached after the change was announced.
   */
  members(relationId: number, load: MembersLoader): Promise<number[]>;
  /** Whether `accountId` is a member of the relation, with the caching of `members`. */
  isMember(relationId: number, accountId: number, load: MembersLoader): Promise<boolean>;
  /** Forgets the cached members of these relations (their memberships changed). */
  invalidate(relationIds: number[]): Promise<void>;
  /**
   * The relation's membership version: every `invalidate` of the relation changes it, and
   * nothing else does. One read of the store, so that a copy of a list kept elsewhere (a
   * process's memory) can be checked against it on every use.
   */
  version(relationId: number): Promise<number>;
  /**
   * `members` with the version they are current at: the list was read from the source (or
   * cached from such a read) after the relation's version became `version`. Whoever changes
   * a membership commits the change before calling `invalidate`, so as long as `version`
   * still answers `version`, the list is the relation's members.
   */
  versionedMembers(relationId: number, load: MembersLoader): Promise<VersionedMembers>;
}

/** A loaded list, checked: account ids are positive safe integers. */
export function checkMembers(relationId: number, members: number[]): number[] {
  for (const id of members) {
    if (!Number.isSafeInteger(id) || id < 1) {
      throw new TypeError(`membership: relation ${relationId} loaded a bad account id ${id}`);
    }
  }
  return [...new Set(members)].sort((a, b) => a - b);
}

/**
 * How long an invalidation is remembered: far longer than any load, so that a load which
 * read the count before an invalidation can never see that count again after it.
 */
export function generationTtlMs(ttlMs: number): number {
  return Math.max(ttlMs, 60 * 60 * 1000);
}
