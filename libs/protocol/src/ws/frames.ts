import { z } from 'zod';
import { id, text } from '../api/fields';

/**
 * The WebSocket protocol of docs/protocol.md: one JSON object per text frame.
 * Client → server: `{ id, event, data }`; reply: `{ id, status_code, status_msg, data? }`;
 * push: `{ event, data }` (never an `id`).
 */
export const CLIENT_EVENTS = ['auth', 'send_msg', 'read_msg', 'ping'] as const;
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

export const CLIENT_DATA = {
  auth: authData,
  send_msg: sendMsgData,
  read_msg: readMsgData,
  ping: z.object({}).nullish(),
} as const;

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
