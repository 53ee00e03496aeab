import type { SendRestrictions } from '@chat/db';
import { AppError, ErrorCode } from '@chat/protocol';

/** Reads what stops sends in a relation from the database (blocks and mutes). */
export type RestrictionsLoader = (relationId: number) => Promise<SendRestrictions>;

export interface SendRestrictionCacheOptions {
  /** Safety net: an entry is read again this long after it was loaded, whatever the version. */
  ttlMs: number;
  /** Most relations held; past it the oldest entries are dropped (default 100 000). */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  /** The relation's membership version when the entry was read. */
  version: number;
  /** Friendship: each side that blocked the other, and whom. */
  blocks: SendRestrictions['blocks'];
  /** Group: the end of each muted member's mute, in ms. */
  mutes: Map<number, number>;
  expiresAt: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * Blocks and mutes for `send_msg` (docs/api.md §9.1, §10.1) with no query per message: each
 * relation's restrictions are kept in this process with the relation's membership version
 * (`MembershipCache.version`) they were read at. Every block, unblock, mute and unmute goes
 * through the api's unit of work as a membership change of the relation, which moves that
 * version after the commit and before answering, so the next send reads them again; a send
 * whose version has not moved is answered from memory. The version read is issued by the
 * caller in the same tick as the membership check and the dedup claim, so with Redis
 * auto-pipelining it shares their round trip. A mute's end needs no change: the time is
 * compared with the clock here.
 */
export class SendRestrictionCache {
  private readonly entries = new Map<number, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly load: RestrictionsLoader,
    private readonly opts: SendRestrictionCacheOptions,
  ) {
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Throws 4003 when the other side of the friendship blocked the sender, 4004 when the
   * sender blocked it, 7004 (with `data.muted_until`) while the sender is muted in the group.
   */
  async check(relationId: number, accountId: number, version: Promise<number>): Promise<void> {
    const current = await version;
    let entry = this.entries.get(relationId);
    if (!entry || entry.version !== current || entry.expiresAt <= this.now()) {
      entry = await this.refresh(relationId, current);
    }
    for (const block of entry.blocks) {
      if (block.blockerId === accountId) throw new AppError(ErrorCode.AccountBlocked);
      if (block.blockedId === accountId) throw new AppError(ErrorCode.BlockedByAccount);
    }
    const until = entry.mutes.get(accountId);
    if (until !== undefined && until > this.now()) {
      throw new AppError(ErrorCode.MemberMuted, undefined, {
        data: { muted_until: new Date(until).toISOString() },
      });
    }
  }

  private async refresh(relationId: number, version: number): Promise<Entry> {
    const read = await this.load(relationId);
    const entry: Entry = {
      version,
      blocks: read.blocks,
      mutes: new Map(read.mutes.map((m) => [m.accountId, m.until.getTime()])),
      expiresAt: this.now() + this.opts.ttlMs,
    };
    // Read after the version was: if a change moved it meanwhile, the next check sees a
    // newer version than this entry's and reads again.
    this.entries.delete(relationId);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(relationId, entry);
    return entry;
  }
}

/**
 * Membership first (a non-member is answered 2009 whatever else), then the restrictions: one
 * promise for `admitSend`, which releases a dedup claim when it rejects or answers false.
 */
export async function memberAndFree(
  member: Promise<boolean>,
  free: Promise<void>,
): Promise<boolean> {
  const [m, f] = await Promise.allSettled([member, free]);
  if (m.status === 'rejected') throw m.reason;
  if (!m.value) return false;
  if (f.status === 'rejected') throw f.reason;
  return true;
}
