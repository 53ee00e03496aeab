import { z } from 'zod';
import { gender } from '../api/fields';
import { MsgInfoWithRlyOut } from '../api/message.schemas';
import { ApplicationInfoOut } from '../api/social.schemas';
import type { ClientEvent } from './frames';
import { msgExtend } from './frames';
import type { PushEventName } from '../events';

/**
 * The `data` of every server push (docs/protocol.md §4), as the servers build it: the domain
 * services' outbox events (libs/domain), the notifier's `send_msg` and `read_msg` plans and the
 * gateway's `account_login`/`account_logout`/`error` frames. The AsyncAPI document and the
 * client SDK's typed `on(push)` are derived from these.
 */

/** Timestamps: RFC 3339, milliseconds, UTC (docs/api.md §1.2). */
const time = z.string().meta({ format: 'date-time', example: '2024-05-01T08:30:00.123Z' });
const outId = z.number().int().meta({ example: 42 });

const relationPush = z.object({ relation_id: outId });
const memberPush = z.object({
  relation_id: outId,
  account_id: outId.meta({ description: 'the member concerned' }),
});

/** `create_notify` / `update_notify`: the extension is `msg_extent` (sic) in pushes. */
export const NotifyPushOut = z
  .object({
    id: outId,
    relation_id: outId,
    account_id: outId.meta({ description: 'last author; 0 once that account is deleted' }),
    msg_content: z.string(),
    msg_extent: msgExtend.meta({ description: 'REST calls the same field msg_expand' }),
    create_at: time,
  })
  .meta({ id: 'NotifyPush' });

/** One account's presence (docs/protocol.md §3.5): a reply item and the `presence` push. */
export const PresenceStateOut = z
  .object({
    account_id: outId,
    online: z.boolean().meta({ description: 'true while any device of the account is connected' }),
    last_seen: time.nullable().meta({
      description:
        'when a device of the account last connected or disconnected; null if unknown or hidden',
    }),
  })
  .meta({ id: 'PresenceState' });

export const PUSH_DATA = {
  send_msg: z.object({ msg_info: MsgInfoWithRlyOut }),
  read_msg: z.object({
    relation_id: outId,
    reader_id: outId,
    msg_ids: z.array(outId),
    last_read_msg_id: outId.meta({
      description: 'the reader’s cursor: everything up to it is read',
    }),
  }),
  account_login: z.object({ address: z.string() }),
  account_logout: z.object({ address: z.string() }),
  update_account: z.object({
    account_id: outId,
    name: z.string(),
    gender,
    signature: z.string(),
    avatar: z.string(),
  }),
  application: ApplicationInfoOut,
  delete_relation: relationPush,
  update_nickname: z.object({ relation_id: outId, nick_name: z.string() }),
  update_setting_state: z.object({
    type: z.enum(['pin', 'show', 'not_disturb']),
    relation_id: outId,
    state: z.boolean(),
  }),
  update_email: z.object({ email: z.string() }),
  update_msg_state: z.object({
    relation_id: outId,
    type: z.enum(['pin', 'top', 'revoke']),
    msg_id: outId,
    state: z.boolean(),
  }),
  group_transferred: memberPush.extend({
    account_id: outId.meta({ description: 'the new leader' }),
  }),
  group_dissolved: relationPush,
  group_new_account: memberPush,
  group_quit_account: memberPush,
  create_notify: NotifyPushOut,
  update_notify: NotifyPushOut,
  error: z.object({ status_code: z.number().int(), status_msg: z.string() }),
  typing: z.object({
    relation_id: outId,
    account_id: outId.meta({ description: 'the member who types (or stopped)' }),
    state: z.boolean().meta({ description: 'true: typing; false: stopped' }),
  }),
  presence: PresenceStateOut,
  edit_msg: z.object({
    relation_id: outId,
    msg_id: outId,
    msg_content: z.string().meta({ description: 'the new text' }),
    edit_at: time,
  }),
  msg_reaction: z.object({
    relation_id: outId,
    msg_id: outId,
    account_id: outId.meta({ description: 'who added or removed it' }),
    emoji: z.string(),
    state: z.boolean().meta({ description: 'true: added; false: removed' }),
    count: z.number().int().meta({ description: 'how many accounts react with it now' }),
  }),
} as const satisfies Record<PushEventName, z.ZodType>;

/** The data of each push, by event. */
export type PushData = { [E in PushEventName]: z.output<(typeof PUSH_DATA)[E]> };

/** A push frame of one event: `{ event, data }`, never an `id`. */
export type TypedPushFrame<E extends PushEventName = PushEventName> = {
  [K in E]: { event: K; data: PushData[K] };
}[E];

/**
 * The `data` of a successful reply to each client request (docs/protocol.md §2.1, §3). A 1004
 * reply carries `RETRY_LATER_DATA` instead; other error replies have none.
 */
export const REPLY_DATA = {
  auth: z.object({ account_id: outId, expired_at: time }).meta({ id: 'AuthReply' }),
  send_msg: z
    .object({
      msg_id: outId.meta({
        description: 'the stored message’s id (the original one for a resend)',
      }),
      create_at: time,
    })
    .meta({ id: 'SendMsgAck' }),
  read_msg: z.object({ last_read_msg_id: outId }).meta({ id: 'ReadMsgReply' }),
  ping: z.object({ server_time: time }).meta({ id: 'PingReply' }),
  typing: z
    .object({
      forwarded: z.boolean().meta({
        description: 'false: dropped by the rate limit (nothing was pushed); not an error',
      }),
    })
    .meta({ id: 'TypingReply' }),
  presence_subscribe: z
    .object({ presences: z.array(PresenceStateOut) })
    .meta({ id: 'PresenceSubscribeReply' }),
  presence_unsubscribe: z
    .object({
      watching: z.number().int().min(0).meta({
        description: 'accounts this connection still watches',
      }),
    })
    .meta({ id: 'PresenceUnsubscribeReply' }),
  presence_hidden: z.object({ hidden: z.boolean() }).meta({ id: 'PresenceHiddenReply' }),
} as const satisfies Record<ClientEvent, z.ZodType>;

export type ReplyData = { [E in ClientEvent]: z.output<(typeof REPLY_DATA)[E]> };

/** `data` of a 1004 reply: when to send the same request again (docs/protocol.md §3.2). */
export const RETRY_LATER_DATA = z
  .object({ retry_after_ms: z.number().int().min(0) })
  .meta({ id: 'RetryLater' });
