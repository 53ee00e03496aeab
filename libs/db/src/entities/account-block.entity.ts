import { EntitySchema, OptionalProps, PrimaryKeyProp } from '@mikro-orm/core';
import { numberBigInt } from '../types/number-bigint.type';

/** One account's block of another (docs/features.md, Block list); PK `(blockerId, blockedId)`. */
export class AccountBlock {
  [PrimaryKeyProp]?: ['blockerId', 'blockedId'];
  [OptionalProps]?: 'createAt';
  blockerId!: number;
  blockedId!: number;
  createAt!: Date;
}

export const AccountBlockSchema = new EntitySchema<AccountBlock>({
  class: AccountBlock,
  tableName: 'account_block',
  properties: {
    blockerId: { type: numberBigInt(), primary: true },
    blockedId: { type: numberBigInt(), primary: true },
    createAt: { type: 'Date', defaultRaw: 'now()' },
  },
});
