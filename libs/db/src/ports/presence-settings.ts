/** Presence visibility (docs/protocol.md §3.5, §3.6). */
export interface PresenceSettingsRepository {
  /**
   * Of `accountIds`, those `viewerId` may see the presence of (itself, its friends, the
   * members of its groups: the accounts it shares a relation with), each with its
   * `presence_hidden` setting.
   */
  visible(viewerId: number, accountIds: number[]): Promise<Map<number, boolean>>;
  /** `presence_hidden` of each existing account of `accountIds`. */
  hidden(accountIds: number[]): Promise<Map<number, boolean>>;
  /** Sets the account's `presence_hidden`; false when the account does not exist. */
  setHidden(accountId: number, hidden: boolean): Promise<boolean>;
}
