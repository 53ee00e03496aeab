/** A viewer and an account whose presence it would watch. */
export interface PresencePair {
  viewerId: number;
  accountId: number;
}

/** Why `viewerId` may see `accountId`'s presence (docs/protocol.md §3.5). */
export interface PresenceGround extends PresencePair {
  /**
   * One relation the two share that makes the account visible to the viewer: their
   * friendship when it counts, otherwise the smallest of their common groups. The
   * subscription holds while this relation is unchanged; when it changes, it is checked
   * again. Null for the viewer itself, always visible.
   */
  relationId: number | null;
  /** The account's `presence_hidden` setting. */
  hidden: boolean;
}

/** Presence visibility (docs/protocol.md §3.5, §3.6). */
export interface PresenceSettingsRepository {
  /**
   * Of `pairs`, those whose viewer may see the account's presence, with a ground: itself
   * (always, no ground needed),
   * a friend with no block between the two (either way), or a member of one of its groups.
   * Pairs not visible (or whose account does not exist) are left out.
   */
  grounds(pairs: PresencePair[]): Promise<PresenceGround[]>;
  /** `presence_hidden` of each existing account of `accountIds`. */
  hidden(accountIds: number[]): Promise<Map<number, boolean>>;
  /** Sets the account's `presence_hidden`; false when the account does not exist. */
  setHidden(accountId: number, hidden: boolean): Promise<boolean>;
}
