import {
  MAX_ID,
  PUSH_EVENTS,
  id,
  type ChatEvent,
  type PushEventName,
  type ReadRecord,
  type StoredRecord,
} from '@chat/protocol';
import { z } from 'zod';

const origin = z.object({ node: z.string(), conn: z.string() });

/**
 * A `chat.stored` record. The persister writes it from a message record it checked and
 * stored, so only what routing relies on is checked again: the ids, the number and the
 * origin; the message travels on to clients as stored.
 */
const storedRecordSchema = z.object({
  message: z.looseObject({ id, relation_id: id, origin: origin.optional() }),
  seq: id,
  rly_msg: z.unknown(),
});

/** A `chat.reads` record (the `ReadRecord` contract), as the gateway wrote it. */
const readRecordSchema: z.ZodType<ReadRecord> = z.object({
  relation_id: id,
  reader_id: id,
  msg_ids: z.array(id).min(1),
  last_read_msg_id: id,
  previous_read_msg_id: z.number().int().min(0).max(MAX_ID),
  origin: origin.optional(),
});

const pushEvent = z.enum(Object.values(PUSH_EVENTS) as [PushEventName, ...PushEventName[]]);

/** A `chat.events` record (the `ChatEvent` contract), as the api wrote it. */
const chatEventSchema: z.ZodType<ChatEvent> = z.object({
  id: z.string().min(1),
  at: z.string(),
  push: z.object({ event: pushEvent, data: z.unknown(), to: z.array(id) }).optional(),
  effects: z
    .object({
      membershipChanged: z.array(id).optional(),
      accountsDeleted: z.array(id).optional(),
    })
    .optional(),
});

type Parsed<T> = { ok: true; value: T } | { ok: false; error: unknown };

function parse<T>(schema: z.ZodType<unknown>, value: Buffer): Parsed<T> {
  try {
    return { ok: true, value: schema.parse(JSON.parse(value.toString('utf8'))) as T };
  } catch (error) {
    return { ok: false, error };
  }
}

export const parseStored = (value: Buffer) => parse<StoredRecord>(storedRecordSchema, value);
export const parseRead = (value: Buffer) => parse<ReadRecord>(readRecordSchema, value);
export const parseEvent = (value: Buffer) => parse<ChatEvent>(chatEventSchema, value);
