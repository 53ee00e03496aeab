import { z } from 'zod';
import { msgExtend } from '../ws/frames';
import { id, paging, queryId, text } from './fields';
import type { InputLimits } from './schemas';

/** Timestamps in replies: RFC 3339, milliseconds, UTC (docs/api.md §1.2). */
const time = z.string().meta({ format: 'date-time', example: '2024-05-01T08:30:00.123Z' });
const outId = z.number().int().meta({ example: 42 });

/** Group name and description lengths of docs/api.md §10. */
const groupName = text(1, 50);
const groupDescription = text(1, 255);

/** GroupInfo of docs/api.md §3 (no schema id: the setting area embeds the same shape). */
const GroupInfoOut = z.object({
  relation_id: outId,
  name: z.string(),
  description: z.string(),
  avatar: z.string(),
});

/** SettingGroup of docs/api.md §3: one account's setting for a group, with the group. */
export const SettingGroupOut = z
  .object({
    relation_id: outId,
    relation_type: z.literal('group'),
    nick_name: z.string(),
    is_not_disturb: z.boolean(),
    is_pin: z.boolean(),
    pin_time: time,
    is_show: z.boolean(),
    last_show: time,
    group_info: GroupInfoOut,
  })
  .meta({ id: 'SettingGroup' });

export const GroupMemberOut = z
  .object({
    account_id: outId,
    name: z.string(),
    avatar: z.string(),
    nick_name: z.string(),
    is_leader: z.boolean(),
    muted_until: time
      .nullable()
      .meta({ description: 'muted by the leader until then; null when not muted' }),
  })
  .meta({ id: 'GroupMember' });

/** Longest mute of a group member (docs/api.md §10.1): 30 days, in seconds. */
export const MUTE_MAX_SECONDS = 30 * 24 * 60 * 60;

/** Notify of docs/api.md §3; `read_ids` is `[account_id]`, or null in the create reply. */
export const NotifyOut = z
  .object({
    id: outId,
    relation_id: outId,
    msg_content: z.string(),
    msg_expand: msgExtend,
    account_id: outId.meta({ description: 'last author; 0 once that account is deleted' }),
    create_at: time,
    read_ids: z.array(outId).nullable(),
  })
  .meta({ id: 'Notify' });

/**
 * Request and reply schemas of the group and notice areas (docs/api.md §10, §13), built for the
 * configured paging limits.
 */
export function groupSchemas(l: InputLimits) {
  const page = paging(l.defaultPageSize, l.maxPageSize);
  const empty = z.object({});
  const groupList = z.object({ list: z.array(SettingGroupOut), total: z.number().int() });
  const notice = {
    relation_id: id,
    msg_content: text(1, 1000),
    msg_expand: msgExtend.optional(),
  };

  return {
    groupCreate: {
      body: z.object({ name: groupName, description: groupDescription }),
      reply: z.object({
        name: z.string(),
        account_id: outId,
        relation_id: outId,
        description: z.string(),
        avatar: z.string(),
      }),
    },
    groupTransfer: {
      body: z.object({ relation_id: id, to_account_id: id }),
      reply: empty,
    },
    groupDissolve: { body: z.object({ relation_id: id }), reply: empty },
    groupUpdate: {
      body: z.object({ relation_id: id, name: groupName, description: groupDescription }),
      reply: z.object({ name: z.string(), description: z.string() }),
    },
    groupInvite: {
      body: z.object({
        relation_id: id,
        account_id: z
          .array(id, { error: 'must be an array of ids' })
          .min(1, { error: 'needs 1 to 200 ids' })
          .max(200, { error: 'needs 1 to 200 ids' }),
      }),
      reply: z.object({ invite_member: z.array(outId) }),
    },
    // `account_id` is accepted and ignored (the caller quits): unknown fields are dropped.
    groupQuit: { body: z.object({ relation_id: id }), reply: empty },
    groupList: { reply: groupList },
    groupByName: { input: page.extend({ name: groupName }), reply: groupList },
    groupMembers: {
      query: z.object({ relation_id: queryId }),
      reply: z.array(GroupMemberOut),
    },
    groupMute: {
      body: z.object({
        relation_id: id,
        account_id: id,
        duration_seconds: z
          .number({ error: `needs a whole number of seconds, 1 to ${MUTE_MAX_SECONDS}` })
          .int({ error: `needs a whole number of seconds, 1 to ${MUTE_MAX_SECONDS}` })
          .min(1, { error: `needs a whole number of seconds, 1 to ${MUTE_MAX_SECONDS}` })
          .max(MUTE_MAX_SECONDS, {
            error: `needs a whole number of seconds, 1 to ${MUTE_MAX_SECONDS}`,
          }),
      }),
      reply: z.object({ muted_until: time }),
    },
    groupUnmute: { body: z.object({ relation_id: id, account_id: id }), reply: empty },
    notifyCreate: { body: z.object(notice), reply: NotifyOut },
    notifyUpdate: { body: z.object({ id, ...notice }), reply: empty },
    notifyList: {
      query: z.object({ relation_id: queryId }),
      reply: z.object({ list: z.array(NotifyOut), total: z.number().int() }),
    },
    notifyDelete: { query: z.object({ id: queryId, relation_id: queryId }) },
  };
}

export type GroupSchemas = ReturnType<typeof groupSchemas>;
