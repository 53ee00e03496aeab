import { MAX_ID, id, msgExtend, text, type MessageRecord, type ReadRecord } from '@chat/protocol';
import { z } from 'zod';

const origin = z.object({ node: z.string(), conn: z.string() });

/**
 * A `chat.messages` record as the persister trusts it (the `MessageRecord` contract). Only
 * types and ranges are checked here; the table's own checks (text length, the file of a
 * file message, `create_at` matching the id) reject the rest row by row.
 */
export const messageRecordSchema: z.ZodType<MessageRecord> = z.object({
  id,
  relation_id: id,
  notify_type: z.enum(['common', 'system']),
  msg_type: z.enum(['text', 'file']),
  msg_content: z.string(),
  msg_extend: msgExtend,
  file_id: id.nullable(),
  account_id: id.nullable(),
  rly_msg_id: id.nullable(),
  client_msg_id: text(1, 64).nullable(),
  create_at: z.iso.datetime({ offset: true }),
  origin: origin.optional(),
});

/** A `chat.reads` record as the persister trusts it (the `ReadRecord` contract). */
export const readRecordSchema: z.ZodType<ReadRecord> = z.object({
  relation_id: id,
  reader_id: id,
  msg_ids: z.array(id),
  last_read_msg_id: id,
  previous_read_msg_id: z.number().int().min(0).max(MAX_ID),
  origin: origin.optional(),
});

/** The record's JSON value checked against `schema`, or the reason it cannot be used. */
export function parseRecord<T>(
  schema: z.ZodType<T>,
  value: Buffer,
): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: schema.parse(JSON.parse(value.toString('utf8'))) };
  } catch (error) {
    return { ok: false, error };
  }
}
