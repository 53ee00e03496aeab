import { z } from 'zod';
import { id, text } from '../api/fields';

/**
 * The WebSocket protocol of docs/protocol.md: one JSON object per text frame.
 * Client → server: `{ id, event, data }`; reply: `{ id, status_code, status_msg, data? }`;
 * push: `{ event, data }` (never an `id`).
 */
export const CLIENT_EVENTS = [
  'auth',
  'send_msg',
  'read_msg',
  'ping',
  'typing',
  'presence_subscribe',
  'presence_unsubscribe',
  'presence_hidden',
] as const;
export type ClientEvent = (typeof CLIENT_EVENTS)[number];

/** The envelope every request frame must have (docs/protocol.md §1, §1.1). */
export const requestFrame = z.object({
  id: z
    .number({ error: 'must be a non-negative safe integer' })
    .int({ error: 'must be a non-negative safe integer' })
    .min(0, { error: 'must be a non-negative safe integer' })
    .max(Number.MAX_SAFE_INTEGER, { error: 'must be a non-negative safe integer' }),
  event: z.string({ error: 'is required' }),
  data: z.unknown().optional(),
});
export type RequestFrame = z.infer<typeof requestFrame>;

/**
 * MsgExtend (docs/api.md §3), stored in a jsonb column. Unknown members are dropped, so what is
 * stored holds numbers only: no string inside for jsonb to refuse (it refuses U+0000).
 */
export const msgExtend = z
  .object({
    remind: z
      .array(z.object({ idx: z.number().int().min(1), account_id: id }))
      .max(100, { error: 'at most 100 entries' }),
    /** `@all`: every member but the sender; only the group leader may (5009). */
    all: z.boolean().optional(),
  })
  .nullable();

/** `auth` data (docs/protocol.md §2.1). */
export const authData = z.object({ token: text(1, 4096) });

/** `send_msg` data (docs/protocol.md §3.2). */
export const sendMsgData = z.object({
  relation_id: id,
  msg_content: text(1, 1000),
  msg_extend: msgExtend.optional(),
  rly_msg_id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  client_msg_id: text(1, 64).optional(),
});
export type SendMsgData = z.infer<typeof sendMsgData>;

/** `read_msg` data (docs/protocol.md §3.3): 1–20 ids. */
export const readMsgData = z.object({
  relation_id: id,
  msg_ids: z
    .array(id)
    .min(1, { error: 'needs 1 to 20 ids' })
    .max(20, { error: 'needs 1 to 20 ids' }),
});
export type ReadMsgData = z.infer<typeof readMsgData>;

/**
 * `typing` data (docs/protocol.md §3.4): `state` true while the account types in the
 * conversation (re-sent every `TYPING_REFRESH_MS`), false once it stopped.
 */
export const typingData = z.object({
  relation_id: id,
  state: z.boolean({ error: 'must be true or false' }),
});
export type TypingData = z.infer<typeof typingData>;

/** Accounts one `presence_subscribe` may name (docs/protocol.md §3.5). */
export const PRESENCE_SUBSCRIBE_MAX = 200;
/** Accounts one connection may be subscribed to at once (docs/protocol.md §3.5). */
export const PRESENCE_SUBSCRIPTIONS_MAX = 1000;

const presenceIds = z
  .array(id)
  .min(1, { error: `needs 1 to ${PRESENCE_SUBSCRIBE_MAX} ids` })
  .max(PRESENCE_SUBSCRIBE_MAX, { error: `needs 1 to ${PRESENCE_SUBSCRIBE_MAX} ids` });

/** `presence_subscribe` data (docs/protocol.md §3.5). */
export const presenceSubscribeData = z.object({ account_ids: presenceIds });
export type PresenceSubscribeData = z.infer<typeof presenceSubscribeData>;

/** `presence_unsubscribe` data (docs/protocol.md §3.5). */
export const presenceUnsubscribeData = z.object({ account_ids: presenceIds });
export type PresenceUnsubscribeData = z.infer<typeof presenceUnsubscribeData>;

/** `presence_hidden` data (docs/protocol.md §3.6): hide (true) or show (false) the account's presence. */
export const presenceHiddenData = z.object({
  hidden: z.boolean({ error: 'must be true or false' }),
});
export type PresenceHiddenData = z.infer<typeof presenceHiddenData>;

export const CLIENT_DATA = {
  auth: authData,
  send_msg: sendMsgData,
  read_msg: readMsgData,
  ping: z.object({}).nullish(),
  typing: typingData,
  presence_subscribe: presenceSubscribeData,
  presence_unsubscribe: presenceUnsubscribeData,
  presence_hidden: presenceHiddenData,
} as const;

/**
 * Typing timing (docs/protocol.md §3.4): a typing client sends `state: true` again every
 * `TYPING_REFRESH_MS`; a receiver drops a typing indicator `TYPING_EXPIRE_MS` after the last
 * push that set it. The gateway forwards at most one `typing` per connection and
 * conversation per `TYPING_MIN_INTERVAL_MS` (a stop right after a start excepted).
 */
export const TYPING_REFRESH_MS = 3000;
export const TYPING_EXPIRE_MS = 6000;
export const TYPING_MIN_INTERVAL_MS = 1000;

/** Reply to a request; `data` only on success. */
export interface ReplyFrame {
  id: number;
  status_code: number;
  status_msg: string;
  data?: unknown;
}

/** A push; never has an `id`. */
export interface PushFrame {
  event: string;
  data: unknown;
}
