import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  BlockedAccount,
  BlockRepository,
  BlocksBetween,
  SendRestrictions,
} from '../ports/blocks';
import { bigintArray, rows } from './sql';
import { joinWork } from './unit-of-work';

/**
 * First key of the pair locks (`lockPair`), in the two-integer advisory-lock space, which
 * does not overlap the one-bigint space of the outbox relay's lock: the bytes of "pair".
 */
const PAIR_LOCK_CLASS = 0x70616972;

/** The block list (`account_block`) and the send restrictions of a relation (docs/features.md). */
export class PgBlockRepository implements BlockRepository {
  constructor(private readonly root: EntityManager) {}

  private get em(): EntityManager {
    return joinWork(this.root);
  }

  async lockPair(a: number, b: number): Promise<void> {
    await pairLock(this.em, a, b);
  }

  async lockPairs(a: number, others: number[]): Promise<void> {
    if (!others.length) return;
    // The sorted keys come from a subquery, and the outer projection takes the locks row by
    // row in that order. Equal keys (two pairs hashing alike) are taken once.
    await rows(
      this.em,
      `select pg_advisory_xact_lock(?, k) from (
         select distinct ${PAIR_KEY_SQL('?::bigint', 'o')} as k
           from unnest(?::bigint[]) as o order by k) keys`,
      [PAIR_LOCK_CLASS, a, a, bigintArray(others)],
    );
  }

  async add(
    blockerId: number,
    blockedId: number,
  ): Promise<{ created: boolean; friendRelationId: number | null } | 'account_gone'> {
    const em = this.em;
    await pairLock(em, blockerId, blockedId);
    const [both] = await rows<{ n: string }>(
      em,
      'select count(*) as n from account where id in (?, ?)',
      [blockerId, blockedId],
    );
    if (Number(both?.n ?? 0) < 2) return 'account_gone';
    const inserted = await rows(
      em,
      `insert into account_block (blocker_id, blocked_id) values (?, ?)
       on conflict do nothing returning 1`,
      [blockerId, blockedId],
    );
    return {
      created: inserted.length > 0,
      friendRelationId: await friendship(em, blockerId, blockedId),
    };
  }

  async remove(
    blockerId: number,
    blockedId: number,
  ): Promise<{ removed: boolean; friendRelationId: number | null }> {
    const em = this.em;
    await pairLock(em, blockerId, blockedId);
    const removed = await rows(
      em,
      'delete from account_block where blocker_id = ? and blocked_id = ? returning 1',
      [blockerId, blockedId],
    );
    return {
      removed: removed.length > 0,
      friendRelationId: await friendship(em, blockerId, blockedId),
    };
  }

  /** Latest block first, then account id for a stable order. */
  async list(
    blockerId: number,
    page: number,
    pageSize: number,
  ): Promise<{ rows: BlockedAccount[]; total: number }> {
    const em = this.em;
    const [count] = await rows<{ total: string }>(
      em,
      'select count(*) as total from account_block where blocker_id = ?',
      [blockerId],
    );
    const found = await rows<{
      account_id: string;
      name: string;
      avatar: string;
      create_at: Date | string;
    }>(
      em,
      `select b.blocked_id as account_id, a.name, a.avatar, b.create_at
         from account_block b join account a on a.id = b.blocked_id
        where b.blocker_id = ?
        order by b.create_at desc, b.blocked_id asc
        limit ? offset ?`,
      [blockerId, pageSize, (page - 1) * pageSize],
    );
    return {
      rows: found.map((r) => ({
        accountId: Number(r.account_id),
        name: r.name,
        avatar: r.avatar,
        createAt: new Date(r.create_at),
      })),
      total: Number(count?.total ?? 0),
    };
  }

  async between(a: number, b: number): Promise<BlocksBetween> {
    const found = await rows<{ blocker_id: string }>(
      this.em,
      `select blocker_id from account_block
        where (blocker_id = ? and blocked_id = ?) or (blocker_id = ? and blocked_id = ?)`,
      [a, b, b, a],
    );
    const blockers = new Set(found.map((r) => Number(r.blocker_id)));
    return { aBlocksB: blockers.has(a), bBlocksA: blockers.has(b) };
  }

  async blockersOf(accountId: number, accountIds: number[]): Promise<number[]> {
    if (!accountIds.length) return [];
    const found = await rows<{ blocker_id: string }>(
      this.em,
      `select blocker_id from account_block
        where blocked_id = ? and blocker_id = any(array[?]::bigint[])`,
      [accountId, accountIds],
    );
    return found.map((r) => Number(r.blocker_id));
  }

  async sendRestrictions(relationId: number): Promise<SendRestrictions> {
    const em = this.em;
    const blocks = await rows<{ blocker_id: string; blocked_id: string }>(
      em,
      `select b.blocker_id, b.blocked_id
         from relation r join account_block b
           on (b.blocker_id = r.account1_id and b.blocked_id = r.account2_id)
           or (b.blocker_id = r.account2_id and b.blocked_id = r.account1_id)
        where r.id = ? and r.relation_type = 'friend'`,
      [relationId],
    );
    const mutes = await rows<{ account_id: string; muted_until: Date | string }>(
      em,
      `select account_id, muted_until from setting
        where relation_id = ? and muted_until is not null`,
      [relationId],
    );
    return {
      blocks: blocks.map((r) => ({
        blockerId: Number(r.blocker_id),
        blockedId: Number(r.blocked_id),
      })),
      mutes: mutes.map((r) => ({
        accountId: Number(r.account_id),
        until: new Date(r.muted_until),
      })),
    };
  }
}

/** The friendship of two accounts, stored smaller id first (docs/pitfalls.md §18). */
async function friendship(em: EntityManager, a: number, b: number): Promise<number | null> {
  const [r] = await rows<{ id: string }>(
    em,
    `select id from relation
      where relation_type = 'friend' and account1_id = least(?::bigint, ?::bigint)
        and account2_id = greatest(?::bigint, ?::bigint)`,
    [a, b, a, b],
  );
  return r ? Number(r.id) : null;
}

/**
 * The transaction-scoped advisory lock of the unordered pair `a`, `b`: the second key is a
 * hash of the two ids, smaller first, so two pairs rarely share a lock (and when they do,
 * they only wait for each other).
 */
/** The second key of a pair's lock, from SQL expressions for the two account ids. */
const PAIR_KEY_SQL = (a: string, b: string) =>
  `hashtext(least(${a}, ${b})::text || ':' || greatest(${a}, ${b})::text)`;

async function pairLock(em: EntityManager, a: number, b: number): Promise<void> {
  await rows(em, `select pg_advisory_xact_lock(?, ${PAIR_KEY_SQL('?::bigint', '?::bigint')})`, [
    PAIR_LOCK_CLASS,
    a,
    b,
    a,
    b,
  ]);
}
