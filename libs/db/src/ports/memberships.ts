/** Membership (docs/api.md §3.1: a member of a relation has a setting row for it). */

export interface RelationSummary {
  id: number;
  relationType: 'friend' | 'group';
  /** Friend relations: the two sides (equal for the self conversation). */
  account1Id: number | null;
  account2Id: number | null;
}

export interface MembershipRepository {
  isMember(accountId: number, relationId: number): Promise<boolean>;
  /** Member account ids of a relation, ascending. */
  members(relationId: number): Promise<number[]>;
  /** The relation's kind and, for a friendship, its two sides; null when it does not exist. */
  relation(relationId: number): Promise<RelationSummary | null>;
}
