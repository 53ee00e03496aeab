import { z } from 'zod';
import { id, MAX_ID, storableString, text } from './api/fields';
import { PUSH_EVENTS, type ChatEvent, type PushEventName } from './events';
import type { DeliveryRecord, MessageRecord, ReadRecord, StoredRecord } from './records';
import { msgExtend } from './ws/frames';

/**
 * The bus records as a consumer trusts them: each worker checks what it reads against the
 * one schema of its contract (`records.ts`), so a producer and its consumers cannot drift.
 */

const origin = z.object({ node: z.string(), conn: z.string() });

/**
 * A `chat.messages` record (the `MessageRecord` contract). Types and ranges are checked
 * here, and that its texts can be stored exactly (`storableString`: a lone surrogate would
 * be stored as U+FFFD, not refused); the table's own checks (text length, the file of a
 * file message, `create_at` matching the id) reject the rest row by row. The persister
 * sends what either refuses to `chat.dead-letter`. The edge refuses all of it first
 * (`text` in `api/fields.ts`), so only a record that bypassed the edge, or whose relation
 * went away meanwhile, ends there.
 */
export const messageRecordSchema: z.ZodType<MessageRecord> = z.object({
  id,
  relation_id: id,
  notify_type: z.enum(['common', 'system']),
  msg_type: z.enum(['text', 'file']),
  msg_content: storableString(),
  msg_extend: msgExtend,
  file_id: id.nullable(),
  account_id: id.nullable(),
  rly_msg_id: id.nullable(),
  client_msg_id: text(1, 64).nullable(),
  create_at: z.iso.datetime({ offset: true }),
  origin: origin.optional(),
});

/** A `chat.reads` record (the `ReadRecord` contract), as the gateway writes it. */
export const readRecordSchema: z.ZodType<ReadRecord> = z.object({
  relation_id: id,
  reader_id: id,
  msg_ids: z.array(id).min(1),
  last_read_msg_id: id,
  previous_read_msg_id: z.number().int().min(0).max(MAX_ID),
  origin: origin.optional(),
});

/** The replied-to message of a `chat.stored` record, as it was when the reply was stored. */
const storedReplyTarget = z.object({
  msg_id: id,
  msg_type: z.enum(['text', 'file']),
  msg_content: z.string(),
  msg_extend: msgExtend,
  is_revoke: z.boolean(),
});

/**
 * A `chat.stored` record (the `StoredRecord` contract), as the persister writes it: the
 * message record it stored, checked against the same schema as on `chat.messages`, its
 * number and the replied-to message. Every field the push is built from (`storedMsgInfo`)
 * is checked, so a record that passes makes a valid MsgInfoWithRly.
 */
export const storedRecordSchema: z.ZodType<StoredRecord> = z.object({
  message: messageRecordSchema,
  seq: id,
  rly_msg: storedReplyTarget.nullable(),
  mentions: z.array(id).optional(),
});

const pushEvent = z.enum(Object.values(PUSH_EVENTS) as [PushEventName, ...PushEventName[]]);

/** A `chat.events` record (the `ChatEvent` contract), as the api writes it. */
export const chatEventSchema: z.ZodType<ChatEvent> = z.object({
  id: z.string().min(1),
  at: z.string(),
  push: z.object({ event: pushEvent, data: z.unknown(), to: z.array(id) }).optional(),
  effects: z
    .object({
      membershipChanged: z.array(id).optional(),
      accountsDeleted: z.array(id).optional(),
      tokensRevoked: z
        .array(z.object({ accountId: id, epoch: z.number().int().min(1) }))
        .optional(),
    })
    .optional(),
});

/**
 * A `push.<node>` record (the `DeliveryRecord` contract), as the notifier and the gateways'
 * presence announcements write it. The frame's data travels to clients as it is.
 */
export const deliveryRecordSchema: z.ZodType<DeliveryRecord> = z.object({
  accounts: z.array(id),
  exclude_conn: z.string().optional(),
  frame: z.object({ event: z.string().min(1), data: z.unknown() }),
  close: z
    .object({ code: z.number().int().min(1000).max(4999), reason: z.string().max(120) })
    .optional(),
  source: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}\/\d{1,10}\/\d{1,20}\/\d{1,6}$/)
    .optional(),
});

export type ParsedRecord<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** The record's JSON value checked against `schema`, or the reason it cannot be used. */
export function parseRecord<T>(schema: z.ZodType<T>, value: Buffer): ParsedRecord<T> {
  try {
    return { ok: true, value: schema.parse(JSON.parse(value.toString('utf8'))) };
  } catch (error) {
    return { ok: false, error };
  }
}
