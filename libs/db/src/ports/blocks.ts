/**
 * The block list (docs/features.md, Block list) and what a `send_msg` in a relation must
 * not do (blocks between a friendship's two sides, mutes of group members).
 */

/** One blocked account as its blocker lists it. */
export interface BlockedAccount {
  accountId: number;
  name: string;
  avatar: string;
  createAt: Date;
}

/** Blocks between two accounts, each direction. */
export interface BlocksBetween {
  /** `a` blocked `b`. */
  aBlocksB: boolean;
  /** `b` blocked `a`. */
  bBlocksA: boolean;
}

/**
 * What stops a member's `send_msg` in one relation: for a friendship the blocks between
 * its two sides, for a group the members muted until a time (past ones included: the
 * reader compares with its clock, so an ending mute needs no change to be announced).
 */
export interface SendRestrictions {
  blocks: { blockerId: number; blockedId: number }[];
  mutes: { accountId: number; until: Date }[];
}

export interface BlockRepository {
  /**
   * Takes the unordered pair's lock until the end of the current transaction (a no-op
   * outside one). A block, an unblock (both take it themselves) and the creation or
   * acceptance of an application between the same two accounts run one after the other,
   * so a check for a block made under it sees every block committed before, and a block
   * made after it sees the friendship the acceptance created (docs/features.md, Block list).
   */
  lockPair(a: number, b: number): Promise<void>;
  /**
   * `lockPair(a, o)` for every `o` of `others`, in one statement and in the order of the
   * locks' keys, so that two transactions taking several pair locks never wait for each
   * other in a cycle (a group invitation checks its invitees' blocks under them).
   */
  lockPairs(a: number, others: number[]): Promise<void>;
  /**
   * `blockerId` blocks `blockedId`, under the pair's lock (`lockPair`). `account_gone` when the blocked account does not exist
   * (or the blocker was deleted meanwhile). `created` is false when the block existed.
   * `friendRelationId` is the pair's friendship, if any.
   */
  add(
    blockerId: number,
    blockedId: number,
  ): Promise<{ created: boolean; friendRelationId: number | null } | 'account_gone'>;
  /** Lifts the block, under the pair's lock; `removed` is false when there was none. */
  remove(
    blockerId: number,
    blockedId: number,
  ): Promise<{ removed: boolean; friendRelationId: number | null }>;
  /** The accounts `blockerId` blocked, latest first, paged. */
  list(
    blockerId: number,
    page: number,
    pageSize: number,
  ): Promise<{ rows: BlockedAccount[]; total: number }>;
  between(a: number, b: number): Promise<BlocksBetween>;
  /** Of `accountIds`, those that blocked `accountId`. */
  blockersOf(accountId: number, accountIds: number[]): Promise<number[]>;
  /** What stops sends in the relation (empty lists for a relation that is gone). */
  sendRestrictions(relationId: number): Promise<SendRestrictions>;
}
