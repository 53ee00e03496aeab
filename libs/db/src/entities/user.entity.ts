import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { numberBigInt } from '../types/number-bigint.type';

/** A login identity owning one or more accounts (docs/data-model.md §2.1). */
export class User {
  [OptionalProps]?: 'id' | 'createAt' | 'tokenEpoch';
  /** Identity column, ≤ 2^53 − 1. */
  id!: number;
  /** Unique case-insensitively (`lower(email)`); stored as given. */
  email!: string;
  /** argon2id hash, never the password. */
  password!: string;
  createAt!: Date;
  /** Moves forward to end every token issued before (see `TokenService`). */
  tokenEpoch!: number;
}

export const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: 'user',
  properties: {
    id: { type: numberBigInt(), primary: true, autoincrement: true },
    email: { type: 'string', length: 255 },
    password: { type: 'string', length: 255, hidden: true },
    createAt: { type: 'Date', defaultRaw: 'now()' },
    tokenEpoch: { type: 'integer', default: 0 },
  },
});
