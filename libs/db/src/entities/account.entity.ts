import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { numberBigInt } from '../types/number-bigint.type';

export const GENDERS = ['男', '女', '未知'] as const;
export type Gender = (typeof GENDERS)[number];

/** One of a user's chat identities (docs/data-model.md §2.2). */
export class Account {
  [OptionalProps]?: 'id' | 'gender' | 'createAt' | 'tokenEpoch' | 'presenceHidden';
  id!: number;
  /** The owner; the user cannot be deleted while this row exists. */
  userId!: number;
  /** Unique per user; prefix-searchable (`text_pattern_ops` index). */
  name!: string;
  avatar!: string;
  gender!: Gender;
  signature!: string;
  createAt!: Date;
  /** Moves forward to end every token issued before (see `TokenService`). */
  tokenEpoch!: number;
  /** Appear offline, with no last-seen time, to everyone else (docs/protocol.md §3.6). */
  presenceHidden!: boolean;
}

export const AccountSchema = new EntitySchema<Account>({
  class: Account,
  tableName: 'account',
  properties: {
    id: { type: numberBigInt(), primary: true, autoincrement: true },
    userId: { type: numberBigInt() },
    name: { type: 'string', length: 32 },
    avatar: { type: 'string', length: 1024 },
    gender: { type: 'text', default: '未知' },
    signature: { type: 'string', length: 200 },
    createAt: { type: 'Date', defaultRaw: 'now()' },
    tokenEpoch: { type: 'integer', default: 0 },
    presenceHidden: { type: 'boolean', default: false },
  },
});
