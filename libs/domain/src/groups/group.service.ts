import type {
  BlockRepository,
  GroupMemberRow,
  GroupRepository,
  GroupSettingRow,
  RelationRole,
} from '@chat/db';
import type { Logger } from '@chat/logger';
import { AppError, ErrorCode, PUSH_EVENTS, type PushEventName } from '@chat/protocol';
import type { ChatEventDraft, UnitOfWork } from '../ports';
import { iso } from '../views';

export interface GroupServiceDeps {
  groups: GroupRepository;
  /** Accounts that blocked the inviter are not added by its invitations. */
  blocks: Pick<BlockRepository, 'blockersOf' | 'lockPairs'>;
  /** Each membership change and its pushes commit together. */
  work: UnitOfWork;
  /** `Rule.DefaultAvatarURL`: the avatar of new groups. */
  defaultAvatar: string;
  log: Logger;
}

/** SettingGroup of docs/api.md §3. */
function settingGroup(row: GroupSettingRow) {
  return {
    relation_id: row.group.id,
    relation_type: 'group' as const,
    nick_name: row.nickName,
    is_not_disturb: row.isNotDisturb,
    is_pin: row.isPin,
    pin_time: iso(row.pinTime),
    is_show: row.isShow,
    last_show: iso(row.lastShow),
    group_info: {
      relation_id: row.group.id,
      name: row.group.name,
      description: row.group.description,
      avatar: row.group.avatar,
    },
  };
}

/** GroupMember of docs/api.md §3. */
function groupMember(m: GroupMemberRow) {
  return {
    account_id: m.accountId,
    name: m.name,
    avatar: m.avatar,
    nick_name: m.nickName,
    is_leader: m.isLeader,
    muted_until: m.mutedUntil === null ? null : iso(m.mutedUntil),
  };
}

/**
 * A group push (docs/protocol.md §4). Every group push carries `relation_id` (docs/pitfalls.md
 * §5), is keyed by the relation so one group's pushes stay in order, and marks the
 * group's cached membership stale, since each of them follows a membership change.
 */
function groupEvent(
  relationId: number,
  event: PushEventName,
  data: Record<string, unknown>,
  to: number[],
): ChatEventDraft {
  return {
    key: `relation:${relationId}`,
    push: { event, data: { relation_id: relationId, ...data }, to },
    effects: { membershipChanged: [relationId] },
  };
}

/**
 * A member's standing in a group: 7003 when not a member, 4002 when the relation is a
 * friendship (docs/api.md §10, update: membership is checked first, then the relation type).
 */
export function requireGroupMember(role: RelationRole | null): RelationRole {
  if (!role) throw new AppError(ErrorCode.NotGroupMember);
  if (!role.isGroup) throw new AppError(ErrorCode.RelationNotFound);
  return role;
}

/** The group area of docs/api.md §10. */
export class GroupService {
  constructor(private readonly d: GroupServiceDeps) {}

  /** POST /api/group/create: the group and its leader in one transaction (docs/pitfalls.md §19). */
  async create(callerId: number, name: string, description: string) {
    const group = await this.d.work.run(async (outbox) => {
      const group = await this.d.groups.create({
        leaderId: callerId,
        name,
        description,
        avatar: this.d.defaultAvatar,
      });
      if (group === 'account_gone') throw new AppError(ErrorCode.AccountNotFound);
      // No push (docs/api.md §10), but the new membership must reach the gateways' caches.
      outbox.events([{ key: `relation:${group.id}`, effects: { membershipChanged: [group.id] } }]);
      return group;
    });
    this.d.log.info({ accountId: callerId, relationId: group.id }, 'group created');
    return {
      name: group.name,
      account_id: callerId,
      relation_id: group.id,
      description: group.description,
      avatar: group.avatar,
    };
  }

  /**
   * POST /api/group/transfer: 7001 unless the caller leads the group, 7003 unless the
   * target is a member; transferring to oneself changes nothing and pushes nothing.
   */
  async transfer(callerId: number, relationId: number, toAccountId: number) {
    const changed = await this.d.work.run(async (outbox) => {
      const done = await this.d.groups.transfer(relationId, callerId, toAccountId);
      if (done === 'not_leader') throw new AppError(ErrorCode.NotGroupLeader);
      if (done === 'not_member') throw new AppError(ErrorCode.NotGroupMember);
      if (done === 'unchanged') return false;
      outbox.events([
        groupEvent(
          relationId,
          PUSH_EVENTS.groupTransferred,
          { account_id: toAccountId },
          done.memberIds,
        ),
      ]);
      return true;
    });
    if (!changed) return {};
    this.d.log.info({ relationId, from: callerId, to: toAccountId }, 'group transferred');
    return {};
  }

  /**
   * POST /api/group/dissolve: 7001 unless the caller leads the group. The receivers are the
   * members read before the deletion (docs/pitfalls.md §4).
   */
  async dissolve(callerId: number, relationId: number) {
    await this.d.work.run(async (outbox) => {
      const done = await this.d.groups.dissolve(relationId, callerId);
      if (done === 'not_leader') throw new AppError(ErrorCode.NotGroupLeader);
      outbox.events([groupEvent(relationId, PUSH_EVENTS.groupDissolved, {}, done.memberIds)]);
    });
    this.d.log.info({ relationId, accountId: callerId }, 'group dissolved');
    return {};
  }

  /** POST /api/group/update: any member may rename the group (docs/api.md §10). */
  async update(callerId: number, relationId: number, name: string, description: string) {
    requireGroupMember(await this.d.groups.role(callerId, relationId));
    // Dissolved between the check and the update: the group is gone.
    if (!(await this.d.groups.update(relationId, name, description))) {
      throw new AppError(ErrorCode.RelationNotFound);
    }
    return { name, description };
  }

  /**
   * POST /api/group/invite: adds the listed friends of the caller that are not members yet
   * and pushes `group_new_account` once per account actually added (docs/pitfalls.md §8)
   * to every member after the change, the new ones included. Accounts that blocked the
   * caller are passed over like non-friends (docs/api.md §9.1).
   */
  async invite(callerId: number, relationId: number, accountIds: number[]) {
    const done = await this.d.work.run(async (outbox) => {
      // Under the pairs' locks, as a block and a friend request's acceptance take them: a
      // block committed before is seen, and one made after finds the member in the group.
      await this.d.blocks.lockPairs(callerId, accountIds);
      const blockers = new Set(await this.d.blocks.blockersOf(callerId, accountIds));
      const invited = accountIds.filter((id) => !blockers.has(id));
      const done = await this.d.groups.invite(relationId, callerId, invited);
      if (done === 'not_member') throw new AppError(ErrorCode.NotGroupMember);
      if (done === 'not_group') throw new AppError(ErrorCode.RelationNotFound);
      outbox.events(
        done.added.map((accountId) =>
          groupEvent(
            relationId,
            PUSH_EVENTS.groupNewAccount,
            { account_id: accountId },
            done.memberIds,
          ),
        ),
      );
      return done;
    });
    if (done.added.length) {
      this.d.log.info({ relationId, accountId: callerId, added: done.added }, 'group invite');
    }
    return { invite_member: done.added };
  }

  /**
   * POST /api/group/quit: 7002 for the leader, 7003 for a non-member (docs/pitfalls.md
   * §15: not a silent success). The quitter hears of it too (§4).
   */
  async quit(callerId: number, relationId: number) {
    await this.d.work.run(async (outbox) => {
      const done = await this.d.groups.quit(relationId, callerId);
      if (done === 'leader') throw new AppError(ErrorCode.LeaderCannotQuit);
      if (done === 'not_member') throw new AppError(ErrorCode.NotGroupMember);
      if (done === 'not_group') throw new AppError(ErrorCode.RelationNotFound);
      outbox.events([
        groupEvent(relationId, PUSH_EVENTS.groupQuitAccount, { account_id: callerId }, [
          ...done.remainingIds,
          callerId,
        ]),
      ]);
    });
    this.d.log.info({ relationId, accountId: callerId }, 'group quit');
    return {};
  }

  /** GET /api/group/list: by `last_show` ascending. */
  async list(callerId: number) {
    const list = (await this.d.groups.listOf(callerId)).map(settingGroup);
    return { list, total: list.length };
  }

  /** POST /api/group/name: the caller's groups whose name contains `name`, by name. */
  async searchByName(callerId: number, name: string, page: number, pageSize: number) {
    const { rows, total } = await this.d.groups.searchByName(callerId, name, page, pageSize);
    return { list: rows.map(settingGroup), total };
  }

  /**
   * POST /api/group/mute (`seconds` > 0) and /api/group/unmute (null): the leader mutes a
   * member, or lifts its mute (docs/api.md §10.1). 7003/4002 for a caller not in the group,
   * 7001 for a member who does not lead it, 7005 for the leader itself, 7003 for a target
   * that is not a member. Pushes `group_member_muted` to every member; the event marks the
   * group's cached send state stale in the gateways, like a membership change.
   */
  async mute(callerId: number, relationId: number, accountId: number, seconds: number | null) {
    const role = requireGroupMember(await this.d.groups.role(callerId, relationId));
    if (!role.isLeader) throw new AppError(ErrorCode.NotGroupLeader);
    if (accountId === callerId) throw new AppError(ErrorCode.CannotMuteSelf);
    const until = seconds === null ? null : new Date(Date.now() + seconds * 1000);
    const mutedUntil = until === null ? null : iso(until);
    await this.d.work.run(async (outbox) => {
      const done = await this.d.groups.mute(relationId, callerId, accountId, until);
      if (done === 'not_leader') throw new AppError(ErrorCode.NotGroupLeader);
      if (done === 'not_member') throw new AppError(ErrorCode.NotGroupMember);
      outbox.events([
        groupEvent(
          relationId,
          PUSH_EVENTS.groupMemberMuted,
          { account_id: accountId, muted_until: mutedUntil },
          done.memberIds,
        ),
      ]);
    });
    this.d.log.info({ relationId, leader: callerId, accountId, mutedUntil }, 'group member mute');
    return mutedUntil === null ? {} : { muted_until: mutedUntil };
  }

  /** GET /api/group/members: 7003 for a non-member; leader first, then by name. */
  async members(callerId: number, relationId: number) {
    requireGroupMember(await this.d.groups.role(callerId, relationId));
    return (await this.d.groups.members(relationId)).map(groupMember);
  }
}
