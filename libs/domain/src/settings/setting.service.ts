import type { Logger } from '@chat/logger';
import { AppError, ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import type {
  FriendRecord,
  FriendSettingRecord,
  GroupRecord,
  SettingChange,
  SettingRecord,
  SettingRepository,
} from '@chat/db';
import type { ChatEventDraft, UnitOfWork } from '../ports';
import { iso } from '../views';

export interface SettingServiceDeps {
  settings: SettingRepository;
  /** Each change and its push commit together. */
  work: UnitOfWork;
  log: Logger;
}

/** FriendInfo of docs/api.md §3. */
function friendInfo(f: FriendRecord) {
  return { account_id: f.accountId, name: f.name, avatar: f.avatar };
}

/** GroupInfo of docs/api.md §3. */
function groupInfo(g: GroupRecord) {
  return { relation_id: g.id, name: g.name, description: g.description, avatar: g.avatar };
}

/** SettingInfo of docs/api.md §3. */
function settingInfo(s: SettingRecord) {
  return {
    relation_id: s.relationId,
    relation_type: s.relationType,
    nick_name: s.nickName,
    is_not_disturb: s.isNotDisturb,
    is_pin: s.isPin,
    pin_time: iso(s.pinTime),
    is_show: s.isShow,
    last_show: iso(s.lastShow),
  };
}

/** Setting of docs/api.md §3: exactly one of `group_info` and `friend_info` is non-null. */
export function settingView(s: SettingRecord) {
  return {
    ...settingInfo(s),
    group_info: s.group && groupInfo(s.group),
    friend_info: s.friend && friendInfo(s.friend),
  };
}

/** SettingFriend of docs/api.md §3. */
export function settingFriend(s: FriendSettingRecord) {
  return { ...settingInfo(s), relation_type: 'friend' as const, friend_info: friendInfo(s.friend) };
}

/** SettingPin of docs/api.md §3. */
export function settingPin(s: SettingRecord) {
  return {
    relation_id: s.relationId,
    relation_type: s.relationType,
    nick_name: s.nickName,
    pin_time: iso(s.pinTime),
    group_info: s.group && groupInfo(s.group),
    friend_info: s.friend && friendInfo(s.friend),
  };
}

/** `update_setting_state` types of docs/protocol.md §4, by the preference they report. */
const STATE_TYPES = { isPin: 'pin', isNotDisturb: 'not_disturb', isShow: 'show' } as const;

/** The setting and friend area of docs/api.md §9. */
export class SettingService {
  constructor(private readonly d: SettingServiceDeps) {}

  /** GET /api/setting/pins: by `pin_time` ascending. */
  async pins(callerId: number) {
    const list = (await this.d.settings.pinned(callerId)).map(settingPin);
    return { list, total: list.length };
  }

  /** GET /api/setting/shows: by `last_show` descending. */
  async shows(callerId: number) {
    const list = (await this.d.settings.shown(callerId)).map(settingView);
    return { list, total: list.length };
  }

  /**
   * The four update endpoints: 4002 without a setting for the relation; an unchanged value
   * answers success with no push (docs/api.md §9), except that showing always refreshes
   * `last_show` and is announced, since it moves the conversation in `/setting/shows`.
   */
  async update(callerId: number, relationId: number, change: SettingChange): Promise<void> {
    const push =
      change.field === 'nickName'
        ? {
            event: PUSH_EVENTS.updateNickname,
            data: { relation_id: relationId, nick_name: change.value },
            to: [callerId],
          }
        : {
            event: PUSH_EVENTS.updateSettingState,
            data: { type: STATE_TYPES[change.field], relation_id: relationId, state: change.value },
            to: [callerId],
          };
    await this.d.work.run(async (outbox) => {
      const done = await this.d.settings.update(callerId, relationId, change);
      if (done === 'missing') throw new AppError(ErrorCode.RelationNotFound);
      if (done !== 'unchanged') outbox.events([{ key: `account:${callerId}`, push }]);
    });
  }

  /** GET /api/setting/friend/list: the self conversation included, by friend name. */
  async friends(callerId: number) {
    const list = (await this.d.settings.friends(callerId)).map(settingFriend);
    return { list, total: list.length };
  }

  /**
   * DELETE /api/setting/friend/delete: 4002 unless a friend relation, 2009 unless the caller
   * is one of its two accounts or when it is the caller's self conversation
   * (docs/pitfalls.md §9). `delete_relation` goes to both accounts (§8), which the
   * repository read before deleting (§4).
   */
  async deleteFriend(callerId: number, relationId: number): Promise<void> {
    await this.d.work.run(async (outbox) => {
      const done = await this.d.settings.deleteFriend(callerId, relationId);
      if (done === 'missing') throw new AppError(ErrorCode.RelationNotFound);
      if (done === 'not_party') throw new AppError(ErrorCode.PermissionDenied);
      if (done === 'self') {
        throw new AppError(ErrorCode.PermissionDenied, 'the self conversation cannot be deleted');
      }
      const event: ChatEventDraft = {
        key: `relation:${relationId}`,
        push: {
          event: PUSH_EVENTS.deleteRelation,
          data: { relation_id: relationId },
          to: done.accountIds,
        },
        effects: { membershipChanged: [relationId] },
      };
      outbox.events([event]);
    });
    this.d.log.info({ accountId: callerId, relationId }, 'friend deleted');
  }

  /** GET /api/setting/friend/name: by account name or remark, `friend_info.name` the account's. */
  async searchFriends(callerId: number, name: string, page: number, pageSize: number) {
    const { rows, total } = await this.d.settings.searchFriends(callerId, name, page, pageSize);
    return { list: rows.map(settingFriend), total };
  }
}
