import { EntitySchema, OptionalProps, PrimaryKeyProp } from '@mikro-orm/core';
import { numberBigInt } from '../types/number-bigint.type';

/**
 * Membership of an account in a relation plus its preferences there (docs/data-model.md §2.4).
 * The row's existence is the membership; PK `(accountId, relationId)`.
 */
export class Setting {
  [PrimaryKeyProp]?: ['accountId', 'relationId'];
  [OptionalProps]?:
    | 'nickName'
    | 'isNotDisturb'
    | 'isPin'
    | 'pinTime'
    | 'isShow'
    | 'lastShow'
    | 'isLeader'
    | 'isSelf'
    | 'mutedUntil';
  accountId!: number;
  relationId!: number;
  /** The account's remark for the friend, or its nickname in the group; `''` when unset. */
  nickName!: string;
  isNotDisturb!: boolean;
  isPin!: boolean;
  /** Set to now whenever `isPin` becomes true. */
  pinTime!: Date;
  isShow!: boolean;
  /** Set to now whenever `isShow` is set true. */
  lastShow!: Date;
  /** Groups only; at most one per relation (unique partial index). */
  isLeader!: boolean;
  /** The self conversation only. */
  isSelf!: boolean;
  /** Groups only: the member may not send until then (set by the leader); null when never muted. */
  mutedUntil!: Date | null;
}

export const SettingSchema = new EntitySchema<Setting>({
  class: Setting,
  tableName: 'setting',
  properties: {
    accountId: { type: numberBigInt(), primary: true },
    relationId: { type: numberBigInt(), primary: true },
    nickName: { type: 'string', length: 20, default: '' },
    isNotDisturb: { type: 'boolean', default: false },
    isPin: { type: 'boolean', default: false },
    pinTime: { type: 'Date', defaultRaw: 'now()' },
    isShow: { type: 'boolean', default: true },
    lastShow: { type: 'Date', defaultRaw: 'now()' },
    isLeader: { type: 'boolean', default: false },
    isSelf: { type: 'boolean', default: false },
    mutedUntil: { type: 'Date', nullable: true, default: null },
  },
});
