import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { numberBigInt } from '../types/number-bigint.type';

export type RelationType = 'friend' | 'group';

/**
 * A conversation (docs/data-model.md §2.3): a friendship (`account1Id <= account2Id`, equal for the
 * self conversation) with the group columns null, or a group with both account ids null.
 * The database's CHECK enforces that shape.
 */
export class Relation {
  [OptionalProps]?: 'id' | 'createAt' | 'lastSeq';
  id!: number;
  relationType!: RelationType;
  account1Id!: number | null;
  account2Id!: number | null;
  groupName!: string | null;
  groupDescription!: string | null;
  groupAvatar!: string | null;
  /** Last message sequence number handed out in this relation (0: none yet). */
  lastSeq!: number;
  createAt!: Date;
}

export const RelationSchema = new EntitySchema<Relation>({
  class: Relation,
  tableName: 'relation',
  properties: {
    id: { type: numberBigInt(), primary: true, autoincrement: true },
    relationType: { type: 'text' },
    // Explicit column names: the naming strategy turns `account1Id` into `account1id`.
    account1Id: { type: numberBigInt(), nullable: true, fieldName: 'account1_id' },
    account2Id: { type: numberBigInt(), nullable: true, fieldName: 'account2_id' },
    groupName: { type: 'string', length: 50, nullable: true },
    groupDescription: { type: 'string', length: 255, nullable: true },
    groupAvatar: { type: 'string', length: 1024, nullable: true },
    lastSeq: { type: numberBigInt(), default: 0 },
    createAt: { type: 'Date', defaultRaw: 'now()' },
  },
});
