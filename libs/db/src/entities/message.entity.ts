import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { numberBigInt } from '../types/number-bigint.type';
import type { MsgExtend } from './msg-extend';

export type NotifyType = 'common' | 'system';
export type MsgType = 'text' | 'file';

/**
 * A message (docs/data-model.md §2.8). `id` is a snowflake made by the application (`SnowflakeGenerator`)
 * and `createAt` must equal the time encoded in it (`snowflakeTime(id)`); the database
 * checks that. Insert with `ON CONFLICT (id) DO NOTHING` so a redelivered batch is harmless.
 * Its search grams live in `message_search`, written by the indexer (`MessageSearchRepository`).
 */
export class Message {
  [OptionalProps]?: 'isRevoke' | 'isTop' | 'isPin' | 'seq' | 'editAt' | 'changeSeq';
  id!: number;
  relationId!: number;
  notifyType!: NotifyType;
  msgType!: MsgType;
  /** Text of at most 1000 characters, or the file URL. */
  msgContent!: string;
  msgExtend!: MsgExtend | null;
  /** Set iff `msgType` is `'file'`. */
  fileId!: number | null;
  /** The sender; null for system messages and once the sender's account is deleted. */
  accountId!: number | null;
  /** The replied-to message of the same relation (not a foreign key, see docs/data-model.md §2.8). */
  rlyMsgId!: number | null;
  /** The sender's idempotency key: unique per account within the send dedup window only. */
  clientMsgId!: string | null;
  createAt!: Date;
  isRevoke!: boolean;
  isTop!: boolean;
  isPin!: boolean;
  /** `createAt` at insert, now when pinned. */
  pinTime!: Date;
  /** Per-relation sequence (1, 2, …), set by the persister in the inserting transaction. */
  seq!: number | null;
  /** When the sender last edited the text; null if never. */
  editAt!: Date | null;
  /** The number of its last change in its relation's change counter; null if never changed. */
  changeSeq!: number | null;
}

export const MessageSchema = new EntitySchema<Message>({
  class: Message,
  tableName: 'message',
  properties: {
    // Assigned by the application, never by a sequence.
    id: { type: numberBigInt(), primary: true, autoincrement: false },
    relationId: { type: numberBigInt() },
    notifyType: { type: 'text' },
    msgType: { type: 'text' },
    msgContent: { type: 'text' },
    msgExtend: { type: 'json', nullable: true },
    fileId: { type: numberBigInt(), nullable: true },
    accountId: { type: numberBigInt(), nullable: true },
    rlyMsgId: { type: numberBigInt(), nullable: true },
    clientMsgId: { type: 'string', length: 64, nullable: true },
    createAt: { type: 'Date' },
    isRevoke: { type: 'boolean', default: false },
    isTop: { type: 'boolean', default: false },
    isPin: { type: 'boolean', default: false },
    pinTime: { type: 'Date' },
    seq: { type: numberBigInt(), nullable: true },
    editAt: { type: 'Date', nullable: true },
    changeSeq: { type: numberBigInt(), nullable: true },
  },
});
