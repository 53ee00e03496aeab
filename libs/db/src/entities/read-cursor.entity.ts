import { EntitySchema, OptionalProps, PrimaryKeyProp } from '@mikro-orm/core';
import { numberBigInt } from '../types/number-bigint.type';

/**
 * How far one account has read in one relation (docs/data-model.md §2.5): message `m` is read by
 * the account iff `m.id <= lastReadMsgId` (no row means 0). It only ever moves forward
 * (`GREATEST(current, max(ids))` on upsert) and disappears with its setting row.
 */
export class ReadCursor {
  [PrimaryKeyProp]?: ['accountId', 'relationId'];
  [OptionalProps]?: 'lastReadMsgId' | 'updateAt';
  accountId!: number;
  relationId!: number;
  lastReadMsgId!: number;
  updateAt!: Date;
}

export const ReadCursorSchema = new EntitySchema<ReadCursor>({
  class: ReadCursor,
  tableName: 'read_cursor',
  properties: {
    accountId: { type: numberBigInt(), primary: true },
    relationId: { type: numberBigInt(), primary: true },
    lastReadMsgId: { type: numberBigInt(), default: 0 },
    updateAt: { type: 'Date', defaultRaw: 'now()' },
  },
});
