/**
 * Settings and friendships (docs/api.md §9, docs/data-model.md §2.3–2.4) as the domain sees
 * them. A setting row is one account's membership of, and preferences for, one conversation.
 */
import type { GroupRecord } from './groups';

/** The other account of a friendship (the account itself for the self conversation). */
export interface FriendRecord {
  accountId: number;
  name: string;
  avatar: string;
}

/** One account's setting for one conversation, with the friend or the group it is about. */
export interface SettingRecord {
  relationId: number;
  relationType: 'friend' | 'group';
  nickName: string;
  isNotDisturb: boolean;
  isPin: boolean;
  pinTime: Date;
  isShow: boolean;
  lastShow: Date;
  /** Set for friend conversations, null for groups. */
  friend: FriendRecord | null;
  /** Set for groups, null for friend conversations. */
  group: GroupRecord | null;
}

/** A friend conversation's setting: `friend` is always set. */
export type FriendSettingRecord = SettingRecord & { relationType: 'friend'; friend: FriendRecord };

/** One preference to set (docs/api.md §9, the four update endpoints). */
export type SettingChange =
  | { field: 'nickName'; value: string }
  | { field: 'isPin'; value: boolean }
  | { field: 'isNotDisturb'; value: boolean }
  | { field: 'isShow'; value: boolean };

export interface SettingRepository {
  /** Pinned conversations of the account, by `pin_time` ascending. */
  pinned(accountId: number): Promise<SettingRecord[]>;
  /** Shown conversations of the account, by `last_show` descending. */
  shown(accountId: number): Promise<SettingRecord[]>;
  /** Friend conversations of the account (the self conversation included), by friend name. */
  friends(accountId: number): Promise<FriendSettingRecord[]>;
  /**
   * Friend conversations whose friend's account name or whose remark (`nick_name`) contains
   * `name`, case-insensitive, wildcards taken literally; by friend name, paged.
   */
  searchFriends(
    accountId: number,
    name: string,
    page: number,
    pageSize: number,
  ): Promise<{ rows: FriendSettingRecord[]; total: number }>;
  /**
   * Sets one preference. `missing` when the account has no setting for the relation,
   * `unchanged` when the stored value already equals it, except that showing always
   * refreshes `last_show`. Pinning sets `pin_time` to now, showing `last_show`.
   */
  update(
    accountId: number,
    relationId: number,
    change: SettingChange,
  ): Promise<'changed' | 'unchanged' | 'missing'>;
  /**
   * In one transaction: deletes the friend relation (its settings, messages and read
   * cursors go with it; its files lose their link) and the applications between the two
   * accounts. `missing` unless `relationId` is a friend relation, `not_party` when the
   * account is neither side, `self` for its self conversation. Returns the two accounts,
   * read before the deletion.
   */
  deleteFriend(
    accountId: number,
    relationId: number,
  ): Promise<{ accountIds: [number, number] } | 'missing' | 'not_party' | 'self'>;
}
