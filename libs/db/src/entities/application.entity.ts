import { EntitySchema, OptionalProps, PrimaryKeyProp } from '@mikro-orm/core';
import { numberBigInt } from '../types/number-bigint.type';

export const APPLICATION_STATUSES = ['已申请', '已同意', '已拒绝'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/**
 * A friend request from `account1Id` (applicant) to `account2Id` (target), docs/data-model.md §2.6.
 * One per pair in either direction (unique index on least/greatest of the two ids).
 */
export class Application {
  [PrimaryKeyProp]?: ['account1Id', 'account2Id'];
  [OptionalProps]?: 'refuseMsg' | 'status' | 'createAt' | 'updateAt';
  account1Id!: number;
  account2Id!: number;
  applyMsg!: string;
  refuseMsg!: string;
  status!: ApplicationStatus;
  createAt!: Date;
  /** Set to now on every update. */
  updateAt!: Date;
}

export const ApplicationSchema = new EntitySchema<Application>({
  class: Application,
  tableName: 'application',
  properties: {
    // Explicit column names: the naming strategy turns `account1Id` into `account1id`.
    account1Id: { type: numberBigInt(), primary: true, fieldName: 'account1_id' },
    account2Id: { type: numberBigInt(), primary: true, fieldName: 'account2_id' },
    applyMsg: { type: 'string', length: 200 },
    refuseMsg: { type: 'string', length: 200, default: '' },
    status: { type: 'text', default: '已申请' },
    createAt: { type: 'Date', defaultRaw: 'now()' },
    updateAt: { type: 'Date', defaultRaw: 'now()', onUpdate: () => new Date() },
  },
});
