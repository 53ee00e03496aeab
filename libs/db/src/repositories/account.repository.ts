import type { EntityManager } from '@mikro-orm/postgresql';
import { Account, type Gender } from '../entities/account.entity';
import { Relation } from '../entities/relation.entity';
import { Setting } from '../entities/setting.entity';
import type {
  AccountRepository,
  DeletedAccount,
  EndedAccountSessions,
  NewAccount,
} from '../ports/accounts';
import type { TokenEpochRecord } from '../ports/users';
import { escapeLike } from '../search-grams';
import { stampChange } from './change-stamp';
import { UNIQUE_VIOLATION, bigintArray, constraintOf, rows, sqlState, unexpected } from './sql';
import { joinWork } from './unit-of-work';

const NAME_KEY = 'account_user_id_name_key';

/** Accounts (docs/data-model.md §2.2) with what their creation and deletion touch (§5). */
export class PgAccountRepository implements AccountRepository {
  constructor(private readonly root: EntityManager) {}

  private get em(): EntityManager {
    return joinWork(this.root);
  }

  findById(id: number): Promise<Account | null> {
    return this.em.findOne(Account, { id });
  }

  /** The account's token epoch and owning user, or null when the account does not exist. */
  async tokenEpoch(id: number): Promise<TokenEpochRecord | null> {
    const [row] = await rows<{ user_id: string; token_epoch: number }>(
      this.em,
      'select user_id, token_epoch from account where id = ?',
      [id],
    );
    return row ? { epoch: Number(row.token_epoch), owner: Number(row.user_id) } : null;
  }

  /**
   * Ends every session of the account (its logout): moves its token epoch forward. Null
   * when the account does not exist.
   */
  async endSessions(id: number): Promise<EndedAccountSessions | null> {
    const [row] = await rows<{ user_id: string; token_epoch: number }>(
      this.em,
      'update account set token_epoch = token_epoch + 1 where id = ? returning user_id, token_epoch',
      [id],
    );
    return row
      ? { accountId: id, epoch: Number(row.token_epoch), owner: Number(row.user_id) }
      : null;
  }

  listByUser(userId: number): Promise<Account[]> {
    return this.em.find(Account, { userId }, { orderBy: { createAt: 'asc', id: 'asc' } });
  }

  /**
   * The account, its self conversation and self setting in one transaction. The user row
   * is locked first, so two concurrent creates cannot both pass the `maxPerUser` count.
   */
  async createWithSelf(
    input: NewAccount,
  ): Promise<{ account: Account; selfRelationId: number } | 'limit' | 'name_taken'> {
    try {
      return await this.em.transactional(async (em) => {
        await rows(em, 'select id from "user" where id = ? for update', [input.userId]);
        const count = await em.count(Account, { userId: input.userId });
        if (count >= input.maxPerUser) return 'limit' as const;
        if (await em.count(Account, { userId: input.userId, name: input.name })) {
          return 'name_taken' as const;
        }
        const account = em.create(Account, {
          userId: input.userId,
          name: input.name,
          gender: input.gender,
          signature: input.signature,
          avatar: input.avatar,
          tokenEpoch: 0,
        });
        await em.flush();
        const self = em.create(Relation, {
          relationType: 'friend',
          account1Id: account.id,
          account2Id: account.id,
          groupName: null,
          groupDescription: null,
          groupAvatar: null,
        });
        await em.flush();
        em.create(Setting, { accountId: account.id, relationId: self.id, isSelf: true });
        await em.flush();
        return { account, selfRelationId: self.id };
      });
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION && constraintOf(err) === NAME_KEY) return 'name_taken';
      unexpected('creating an account', err);
    }
  }

  async update(
    id: number,
    fields: { name: string; gender: Gender; signature: string },
  ): Promise<Account | 'name_taken'> {
    const em = this.em;
    try {
      const account = await em.findOneOrFail(Account, { id });
      em.assign(account, fields);
      await em.flush();
      return account;
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION && constraintOf(err) === NAME_KEY) return 'name_taken';
      unexpected('updating an account', err);
    }
  }

  async friendRelationId(accountId: number, otherId: number): Promise<number> {
    return (await this.friendRelationIds(accountId, [otherId])).get(otherId) ?? 0;
  }

  /** Friendships are stored smallest id first (docs/data-model.md §2.3); one query for all of them. */
  async friendRelationIds(callerId: number, otherIds: number[]): Promise<Map<number, number>> {
    if (!otherIds.length) return new Map();
    const found = await rows<{ id: string; other: string }>(
      this.em,
      `select r.id, o.other
         from unnest(array[?]::bigint[]) as o(other)
         join relation r on r.relation_type = 'friend'
          and r.account1_id = least(o.other, ?::bigint) and r.account2_id = greatest(o.other, ?::bigint)`,
      [otherIds, callerId, callerId],
    );
    return new Map(found.map((r) => [Number(r.other), Number(r.id)]));
  }

  /** Names starting with `prefix` (wildcards escaped), by name then id, paged. */
  async searchByName(
    prefix: string,
    page: number,
    pageSize: number,
  ): Promise<{ rows: Account[]; total: number }> {
    const where = { name: { $like: `${escapeLike(prefix)}%` } };
    const [list, total] = await this.em.findAndCount(Account, where, {
      orderBy: { name: 'asc', id: 'asc' },
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    return { rows: list, total };
  }

  /**
   * Deletes the account unless it leads a group. Its friendships (with their messages,
   * settings and cursors), its group settings and its applications go with it through the
   * foreign keys' cascades; group messages, files and notices keep a null author (docs/data-model.md
   * §5). Returns who must hear of it, read before the rows are gone.
   */
  async deleteAccount(id: number): Promise<DeletedAccount | 'leader'> {
    return this.em.transactional(async (em) => {
      // The relations first, by id, then the account: the order of the persister, whose
      // batch locks its relations before its messages lock their senders' rows. The other
      // order had each wait for the other until Postgres failed one (a deadlock).
      // Also the groups it reacted in and has left: their messages are stamped below.
      await rows(
        em,
        `select r.id from relation r
          where r.id in (select s.relation_id from setting s where s.account_id = ?)
             or r.id in (select m.relation_id from message_reaction mr
                           join message m on m.id = mr.message_id
                          where mr.account_id = ?)
          order by r.id for update of r`,
        [id, id],
      );
      // Its reactions go with it (cascade), which changes the reaction counts of messages in
      // groups it reacted in: those messages are stamped as changed (docs/data-model.md
      // §2.16), so a member's next sync brings them back. Their rows are locked here, before
      // the account's row: a reaction locks its message and then (its foreign key) the
      // reacting account, so the other order could deadlock with this account's own last
      // reaction. NO KEY UPDATE, the lock an update takes: foreign-key checks on these rows
      // (KEY SHARE) do not wait for it. The counters come last (below), in
      // relation order, as in every change. (A reaction of this account committed between
      // this read and the account's lock goes unstamped: a window of one statement.)
      const reacted = await rows<{ id: string; relation_id: string }>(
        em,
        `select m.id, m.relation_id from message m
          where m.id in (select mr.message_id from message_reaction mr where mr.account_id = ?)
            and m.relation_id in (select g.id from relation g where g.relation_type = 'group')
          order by m.id for no key update of m`,
        [id],
      );
      await rows(em, 'select id from account where id = ? for update', [id]);
      const [leader] = await rows(
        em,
        'select 1 from setting where account_id = ? and is_leader limit 1',
        [id],
      );
      if (leader) return 'leader' as const;
      const ownRelations = await rows<{ relation_id: string; other: string }>(
        em,
        `select id as relation_id, case when account1_id = ? then account2_id else account1_id end as other
           from relation
          where relation_type = 'friend' and (account1_id = ? or account2_id = ?)`,
        [id, id, id],
      );
      const friends = ownRelations.filter((r) => Number(r.other) !== id);
      const groups = await rows<{ relation_id: string; members: string[] }>(
        em,
        `select s.relation_id, coalesce(array_agg(m.account_id) filter (where m.account_id is not null), '{}') as members
           from setting s
           join relation r on r.id = s.relation_id and r.relation_type = 'group'
           left join setting m on m.relation_id = s.relation_id and m.account_id <> ?
          where s.account_id = ?
          group by s.relation_id`,
        [id, id],
      );
      const byRelation = new Map<number, number[]>();
      for (const r of reacted) {
        const rel = Number(r.relation_id);
        byRelation.set(rel, [...(byRelation.get(rel) ?? []), Number(r.id)]);
      }
      for (const rel of [...byRelation.keys()].sort((a, b) => a - b)) {
        await stampChange(em, rel, byRelation.get(rel)!);
      }
      await rows(em, 'delete from account where id = ?', [id]);
      // The friendships went with the account (self conversation included); their change
      // counters have no foreign key (docs/data-model.md §2.16): gone after them.
      await rows(em, 'delete from relation_change where relation_id = any(?::bigint[])', [
        bigintArray(ownRelations.map((r) => Number(r.relation_id))),
      ]);
      return {
        friendships: friends.map((f) => ({
          relationId: Number(f.relation_id),
          otherAccountId: Number(f.other),
        })),
        groups: groups.map((g) => ({
          relationId: Number(g.relation_id),
          remainingAccountIds: g.members.map(Number),
        })),
      };
    });
  }
}
