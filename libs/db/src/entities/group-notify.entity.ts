import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { numberBigInt } from '../types/number-bigint.type';
import type { MsgExtend } from './msg-extend';

/** A group notice (docs/data-model.md §2.9); the API reports `read_ids = [accountId]`, none stored. */
export class GroupNotify {
  [OptionalProps]?: 'id';
  id!: number;
  relationId!: number;
  /** At most 1000 characters. */
  msgContent!: string;
  msgExpand!: MsgExtend | null;
  /** The last author; null once that account is deleted. */
  accountId!: number | null;
  /** Time of creation or of the last update. */
  createAt!: Date;
}

export const GroupNotifySchema = new EntitySchema<GroupNotify>({
  class: GroupNotify,
  tableName: 'group_notify',
  properties: {
    id: { type: numberBigInt(), primary: true, autoincrement: true },
    relationId: { type: numberBigInt() },
    msgContent: { type: 'text' },
    msgExpand: { type: 'json', nullable: true },
    accountId: { type: numberBigInt(), nullable: true },
    createAt: { type: 'Date' },
  },
});
