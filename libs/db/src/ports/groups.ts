/**
 * Groups (docs/api.md §10, docs/data-model.md §2.3–2.4) as the domain sees them. Every
 * membership-changing method runs in one transaction that locks the group first, so
 * concurrent changes to one group are serialised.
 */

export interface GroupRecord {
  /** The group's relation id. */
  id: number;
  name: string;
  description: string;
  avatar: string;
}

/** The caller's standing in a relation; null from `role` when it is not a member. */
export interface RelationRole {
  isGroup: boolean;
  isLeader: boolean;
}

/** One account's setting for a group, with the group (SettingGroup of docs/api.md §3). */
export interface GroupSettingRow {
  group: GroupRecord;
  nickName: string;
  isNotDisturb: boolean;
  isPin: boolean;
  pinTime: Date;
  isShow: boolean;
  lastShow: Date;
}

export interface GroupMemberRow {
  accountId: number;
  name: string;
  avatar: string;
  nickName: string;
  isLeader: boolean;
  /** Muted by the leader until then; null when not muted (or the mute has ended). */
  mutedUntil: Date | null;
}

export interface GroupRepository {
  /**
   * The group and its leader's setting in one transaction; `account_gone` when the leader
   * account was deleted meanwhile.
   */
  create(input: {
    leaderId: number;
    name: string;
    description: string;
    avatar: string;
  }): Promise<GroupRecord | 'account_gone'>;
  /** The account's standing in the relation, null when it has no setting there. */
  role(accountId: number, relationId: number): Promise<RelationRole | null>;
  /** Member account ids, ascending. */
  memberIds(relationId: number): Promise<number[]>;
  /**
   * Makes `toId` the leader instead of `fromId`. `not_leader` unless `fromId` leads the
   * group, `not_member` unless `toId` is a member; `unchanged` when they are the same. On
   * success returns the members.
   */
  transfer(
    relationId: number,
    fromId: number,
    toId: number,
  ): Promise<{ memberIds: number[] } | 'not_leader' | 'not_member' | 'unchanged'>;
  /**
   * Deletes the group with its settings, messages, notices and read cursors (files lose
   * their link) when `leaderId` leads it. Returns the members read before the deletion.
   */
  dissolve(relationId: number, leaderId: number): Promise<{ memberIds: number[] } | 'not_leader'>;
  /** Renames the group; false when the relation is gone or not a group. */
  update(relationId: number, name: string, description: string): Promise<boolean>;
  /**
   * Adds, in the given order, each id that is a friend of `inviterId` (whatever the order
   * of their ids) and not already a member, as a plain member. `not_member` unless the
   * inviter is a member of the group, `not_group` for a friend relation. Returns the ids
   * added and the members after the change.
   */
  invite(
    relationId: number,
    inviterId: number,
    accountIds: number[],
  ): Promise<{ added: number[]; memberIds: number[] } | 'not_member' | 'not_group'>;
  /**
   * Removes the account's setting (and with it its read cursor). `leader` for the leader,
   * `not_member` when it has no setting, `not_group` for a friend relation. Returns the
   * members that remain.
   */
  quit(
    relationId: number,
    accountId: number,
  ): Promise<{ remainingIds: number[] } | 'leader' | 'not_member' | 'not_group'>;
  /** Groups the account belongs to, by `last_show` ascending. */
  listOf(accountId: number): Promise<GroupSettingRow[]>;
  /** Groups of the account whose name contains `name` (case-insensitive), by name. */
  searchByName(
    accountId: number,
    name: string,
    page: number,
    pageSize: number,
  ): Promise<{ rows: GroupSettingRow[]; total: number }>;
  /** Members with their accounts, leader first, then by name. */
  members(relationId: number): Promise<GroupMemberRow[]>;
  /**
   * Mutes a member until `until`, or lifts its mute (null), under the group's lock.
   * `not_leader` unless `leaderId` leads the group, `not_member` unless `accountId` is a
   * member. Returns the members.
   */
  mute(
    relationId: number,
    leaderId: number,
    accountId: number,
    until: Date | null,
  ): Promise<{ memberIds: number[] } | 'not_leader' | 'not_member'>;
}
