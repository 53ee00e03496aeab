import { z } from 'zod';
import { id, paging, queryId, text } from './fields';
import type { InputLimits } from './schemas';

/** Timestamps in replies: RFC 3339, milliseconds, UTC (docs/api.md §1.2). */
const time = z.string().meta({ format: 'date-time', example: '2024-05-01T08:30:00.123Z' });
const outId = z.number().int().meta({ example: 42 });
const flag = (name: string) => z.boolean({ error: `${name} is required (true or false)` });
const list = <T extends z.ZodType>(item: T) =>
  z.object({ list: z.array(item), total: z.number().int() });

/** The literal status values of docs/api.md §3 (pending, accepted, refused). */
export const APPLICATION_STATUSES = ['已申请', '已同意', '已拒绝'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/** ApplicationInfo of docs/api.md §3: `name`/`avatar` are the other party's, seen by the receiver. */
export const ApplicationInfoOut = z
  .object({
    account1_id: outId.meta({ description: 'the applicant' }),
    account2_id: outId.meta({ description: 'the target' }),
    apply_msg: z.string(),
    refuse_msg: z.string(),
    status: z.enum(APPLICATION_STATUSES),
    create_at: time,
    update_at: time,
    name: z.string().meta({ description: 'name of the other party, from the viewer’s side' }),
    avatar: z.string().meta({ description: 'avatar of the other party, from the viewer’s side' }),
  })
  .meta({ id: 'ApplicationInfo' });

/** FriendInfo of docs/api.md §3: the other account of a friendship (itself for the self conversation). */
export const FriendInfoOut = z
  .object({ account_id: outId, name: z.string(), avatar: z.string() })
  .meta({ id: 'FriendInfo' });

/** GroupInfo of docs/api.md §3 (the group area embeds the same shape in SettingGroup). */
const GroupInfoOut = z
  .object({ relation_id: outId, name: z.string(), description: z.string(), avatar: z.string() })
  .meta({ id: 'GroupInfo' });

/** SettingInfo of docs/api.md §3: one account's view of one conversation. */
const settingInfo = {
  relation_id: outId,
  relation_type: z.enum(['friend', 'group']),
  nick_name: z.string(),
  is_not_disturb: z.boolean(),
  is_pin: z.boolean(),
  pin_time: time,
  is_show: z.boolean(),
  last_show: time,
};

/** SettingFriend of docs/api.md §3. */
export const SettingFriendOut = z
  .object({ ...settingInfo, relation_type: z.literal('friend'), friend_info: FriendInfoOut })
  .meta({ id: 'SettingFriend' });

/** Setting of docs/api.md §3: exactly one of `group_info` and `friend_info` is non-null. */
export const SettingOut = z
  .object({
    ...settingInfo,
    group_info: GroupInfoOut.nullable(),
    friend_info: FriendInfoOut.nullable(),
  })
  .meta({ id: 'Setting' });

/** SettingPin of docs/api.md §3. */
export const SettingPinOut = z
  .object({
    relation_id: outId,
    relation_type: z.enum(['friend', 'group']),
    nick_name: z.string(),
    pin_time: time,
    group_info: GroupInfoOut.nullable(),
    friend_info: FriendInfoOut.nullable(),
  })
  .meta({ id: 'SettingPin' });

/** One account on the caller's block list (docs/api.md §9.1). */
export const BlockedAccountOut = z
  .object({
    account_id: outId,
    name: z.string(),
    avatar: z.string(),
    create_at: time.meta({ description: 'when the caller blocked it' }),
  })
  .meta({ id: 'BlockedAccount' });

/** `GET`/`PUT /api/setting/presence`: whether the caller hides its presence. */
const PresenceSettingOut = z
  .object({
    hidden: z.boolean().meta({
      description: 'true: everyone else sees the account offline, with no last seen',
    }),
  })
  .meta({ id: 'PresenceSetting' });

/**
 * Request and reply schemas of the application and setting areas (docs/api.md §8, §9), built
 * for the configured limits.
 */
export function socialSchemas(l: InputLimits) {
  const page = paging(l.defaultPageSize, l.maxPageSize);
  const empty = z.object({});
  const relation = { relation_id: id };

  return {
    applicationCreate: {
      body: z.object({ account_id: id, apply_msg: text(1, 200) }),
      reply: empty,
    },
    // DELETE: the query string and the body merged (docs/api.md §1.3).
    applicationDelete: { input: z.object({ account_id: queryId }), reply: empty },
    applicationAccept: { body: z.object({ account_id: id }), reply: empty },
    applicationRefuse: {
      body: z.object({ account_id: id, refuse_msg: text(1, 200) }),
      reply: empty,
    },
    applicationList: { query: page, reply: list(ApplicationInfoOut) },
    settingPins: { reply: list(SettingPinOut) },
    settingShows: { reply: list(SettingOut) },
    updateNickName: {
      body: z.object({ ...relation, nick_name: text(1, 20) }),
      reply: empty,
    },
    updatePin: { body: z.object({ ...relation, is_pin: flag('is_pin') }), reply: empty },
    updateDisturb: {
      body: z.object({ ...relation, is_not_disturb: flag('is_not_disturb') }),
      reply: empty,
    },
    updateShow: { body: z.object({ ...relation, is_show: flag('is_show') }), reply: empty },
    // The caller's presence_hidden (docs/protocol.md §3.6), as the frame sets it.
    presence: {
      body: z.object({ hidden: flag('hidden') }),
      reply: PresenceSettingOut,
    },
    friendList: { reply: list(SettingFriendOut) },
    friendDelete: { input: z.object({ relation_id: queryId }), reply: empty },
    friendByName: {
      query: page.extend({ name: text(l.usernameLenMin, l.usernameLenMax) }),
      reply: list(SettingFriendOut),
    },
    blockAdd: { body: z.object({ account_id: id }), reply: empty },
    // DELETE: the query string and the body merged (docs/api.md §1.3).
    blockDelete: { input: z.object({ account_id: queryId }), reply: empty },
    blockList: { query: page, reply: list(BlockedAccountOut) },
  };
}

export type SocialSchemas = ReturnType<typeof socialSchemas>;
