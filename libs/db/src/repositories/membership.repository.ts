import type { EntityManager } from '@mikro-orm/postgresql';
import type { MembershipRepository, RelationSummary } from '../ports/memberships';
import { rows } from './sql';
import { joinWork } from './unit-of-work';

/**
 * Membership (docs/api.md §3.1: a member of a relation has a setting row for it). Every
 * authorisation check of the social and message areas goes through here.
 */
export class PgMembershipRepository implements MembershipRepository {
  constructor(private readonly root: EntityManager) {}

  async isMember(accountId: number, relationId: number): Promise<boolean> {
    const found = await rows(
      joinWork(this.root),
      'select 1 from setting where account_id = ? and relation_id = ?',
      [accountId, relationId],
    );
    return found.length > 0;
  }

  /** Member account ids of a relation, ascending. */
  async members(relationId: number): Promise<number[]> {
    const found = await rows<{ account_id: string }>(
      joinWork(this.root),
      'select account_id from setting where relation_id = ? order by account_id',
      [relationId],
    );
    return found.map((r) => Number(r.account_id));
  }

  async relation(relationId: number): Promise<RelationSummary | null> {
    const [r] = await rows<{
      id: string;
      relation_type: 'friend' | 'group';
      account1_id: string | null;
      account2_id: string | null;
    }>(
      joinWork(this.root),
      'select id, relation_type, account1_id, account2_id from relation where id = ?',
      [relationId],
    );
    if (!r) return null;
    const num = (v: string | null) => (v === null ? null : Number(v));
    return {
      id: Number(r.id),
      relationType: r.relation_type,
      account1Id: num(r.account1_id),
      account2Id: num(r.account2_id),
    };
  }
}
