import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApplicationStatus } from '../entities/application.entity';
import type {
  AcceptOutcome,
  ApplicationRecord,
  ApplicationRepository,
} from '../ports/applications';
import { FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION, rows, sqlState, unexpected } from './sql';
import { joinWork } from './unit-of-work';

interface RawApplication {
  account1_id: string;
  account2_id: string;
  apply_msg: string;
  refuse_msg: string;
  status: ApplicationStatus;
  create_at: Date | string;
  update_at: Date | string;
  applicant_name: string;
  applicant_avatar: string;
  target_name: string;
  target_avatar: string;
}

const SELECT = `select a.account1_id, a.account2_id, a.apply_msg, a.refuse_msg, a.status,
    a.create_at, a.update_at, p.name as applicant_name, p.avatar as applicant_avatar,
    t.name as target_name, t.avatar as target_avatar
  from application a
  join account p on p.id = a.account1_id
  join account t on t.id = a.account2_id`;

const PENDING: ApplicationStatus = '已申请';
const ACCEPTED: ApplicationStatus = '已同意';
const REFUSED: ApplicationStatus = '已拒绝';

function applicationRow(r: RawApplication): ApplicationRecord {
  return {
    applicant: { id: Number(r.account1_id), name: r.applicant_name, avatar: r.applicant_avatar },
    target: { id: Number(r.account2_id), name: r.target_name, avatar: r.target_avatar },
    applyMsg: r.apply_msg,
    refuseMsg: r.refuse_msg,
    status: r.status,
    createAt: new Date(r.create_at),
    updateAt: new Date(r.update_at),
  };
}

async function readOne(
  em: EntityManager,
  applicantId: number,
  targetId: number,
): Promise<ApplicationRecord> {
  const [r] = await rows<RawApplication>(
    em,
    `${SELECT} where a.account1_id = ? and a.account2_id = ?`,
    [applicantId, targetId],
  );
  if (!r)
    throw new Error(`application ${applicantId} → ${targetId} vanished inside its transaction`);
  return applicationRow(r);
}

/**
 * Locks both accounts against deletion until commit (FOR KEY SHARE, in id order) and
 * returns the ids that exist. Taken before any application row, the same order an account
 * deletion takes them in, so the two cannot deadlock.
 */
async function lockAccounts(em: EntityManager, ids: number[]): Promise<Set<number>> {
  const found = await rows<{ id: string }>(
    em,
    'select id from account where id = any(array[?]::bigint[]) order by id for key share',
    [ids],
  );
  return new Set(found.map((r) => Number(r.id)));
}

async function areFriends(em: EntityManager, a: number, b: number): Promise<boolean> {
  const found = await rows(
    em,
    `select 1 from relation
      where relation_type = 'friend'
        and account1_id = least(?::bigint, ?::bigint) and account2_id = greatest(?::bigint, ?::bigint)`,
    [a, b, a, b],
  );
  return found.length > 0;
}

/**
 * Friend requests (docs/data-model.md §2.6): one application per unordered pair of accounts (unique
 * index on least/greatest), stored applicant → target.
 */
export class PgApplicationRepository implements ApplicationRepository {
  constructor(private readonly root: EntityManager) {}

  private get em(): EntityManager {
    return joinWork(this.root);
  }

  /**
   * A pending application applicant → target, replacing a finished one of the pair
   * (docs/pitfalls.md §17). A concurrent create for the same pair loses on the unique
   * index and reads as `pending`.
   */
  async create(
    applicantId: number,
    targetId: number,
    applyMsg: string,
  ): Promise<ApplicationRecord | 'target_missing' | 'applicant_missing' | 'friends' | 'pending'> {
    try {
      return await this.em.transactional(async (em) => {
        const alive = await lockAccounts(em, [applicantId, targetId]);
        if (!alive.has(targetId)) return 'target_missing' as const;
        if (!alive.has(applicantId)) return 'applicant_missing' as const;
        if (await areFriends(em, applicantId, targetId)) return 'friends' as const;
        const [existing] = await rows<{
          account1_id: string;
          account2_id: string;
          status: ApplicationStatus;
        }>(
          em,
          `select account1_id, account2_id, status from application
            where least(account1_id, account2_id) = least(?::bigint, ?::bigint)
              and greatest(account1_id, account2_id) = greatest(?::bigint, ?::bigint)
            for update`,
          [applicantId, targetId, applicantId, targetId],
        );
        if (existing?.status === PENDING) return 'pending' as const;
        // Only the finished row read and locked above: a row another create committed
        // since is not ours to remove (the insert below then loses on the pair index).
        if (existing) {
          await rows(em, 'delete from application where account1_id = ? and account2_id = ?', [
            existing.account1_id,
            existing.account2_id,
          ]);
        }
        await rows(
          em,
          'insert into application (account1_id, account2_id, apply_msg) values (?, ?, ?)',
          [applicantId, targetId, applyMsg],
        );
        return readOne(em, applicantId, targetId);
      });
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) return 'pending';
      if (sqlState(err) === FOREIGN_KEY_VIOLATION) return 'target_missing';
      unexpected('creating an application', err);
    }
  }

  async remove(applicantId: number, targetId: number): Promise<boolean> {
    const deleted = await rows(
      this.em,
      'delete from application where account1_id = ? and account2_id = ? returning 1',
      [applicantId, targetId],
    );
    return deleted.length > 0;
  }

  /**
   * In one transaction: the application marked accepted, the friend relation (smaller id
   * first, docs/data-model.md §2.3) and one setting per side. The application row stays locked until
   * commit, so one application is accepted once.
   */
  async accept(applicantId: number, targetId: number): Promise<AcceptOutcome> {
    try {
      return await this.em.transactional(async (em) => {
        const alive = await lockAccounts(em, [applicantId, targetId]);
        const [app] = await rows<{ status: ApplicationStatus }>(
          em,
          'select status from application where account1_id = ? and account2_id = ? for update',
          [applicantId, targetId],
        );
        if (!app) return 'missing' as const;
        if (app.status === ACCEPTED) return 'accepted' as const;
        if (!alive.has(applicantId) || !alive.has(targetId)) return 'applicant_missing' as const;
        if (await areFriends(em, applicantId, targetId)) return 'friends' as const;
        await rows(
          em,
          `update application set status = ?, update_at = now()
            where account1_id = ? and account2_id = ?`,
          [ACCEPTED, applicantId, targetId],
        );
        const [relation] = await rows<{ id: string }>(
          em,
          `insert into relation (relation_type, account1_id, account2_id)
           values ('friend', least(?::bigint, ?::bigint), greatest(?::bigint, ?::bigint))
           returning id`,
          [applicantId, targetId, applicantId, targetId],
        );
        const relationId = Number(relation!.id);
        await rows(em, 'insert into setting (account_id, relation_id) values (?, ?), (?, ?)', [
          applicantId,
          relationId,
          targetId,
          relationId,
        ]);
        return { application: await readOne(em, applicantId, targetId), relationId };
      });
    } catch (err) {
      // The pair's friendship committed by someone else in between (unique pair index).
      if (sqlState(err) === UNIQUE_VIOLATION) return 'friends';
      unexpected('accepting an application', err);
    }
  }

  /** Refuses the row applicant → target itself (docs/pitfalls.md §16), only while pending. */
  async refuse(
    applicantId: number,
    targetId: number,
    refuseMsg: string,
  ): Promise<ApplicationRecord | 'missing' | 'handled'> {
    return this.em.transactional(async (em) => {
      const [app] = await rows<{ status: ApplicationStatus }>(
        em,
        'select status from application where account1_id = ? and account2_id = ? for update',
        [applicantId, targetId],
      );
      if (!app) return 'missing' as const;
      if (app.status !== PENDING) return 'handled' as const;
      await rows(
        em,
        `update application set status = ?, refuse_msg = ?, update_at = now()
          where account1_id = ? and account2_id = ?`,
        [REFUSED, refuseMsg, applicantId, targetId],
      );
      return readOne(em, applicantId, targetId);
    });
  }

  /** Either side, newest first (then by the pair, for a stable order). */
  async listOf(
    accountId: number,
    page: number,
    pageSize: number,
  ): Promise<{ rows: ApplicationRecord[]; total: number }> {
    const em = this.em;
    const [count] = await rows<{ total: string }>(
      em,
      'select count(*) as total from application where account1_id = ? or account2_id = ?',
      [accountId, accountId],
    );
    const found = await rows<RawApplication>(
      em,
      `${SELECT}
        where a.account1_id = ? or a.account2_id = ?
        order by a.create_at desc, a.account1_id desc, a.account2_id desc
        limit ? offset ?`,
      [accountId, accountId, pageSize, (page - 1) * pageSize],
    );
    return { rows: found.map(applicationRow), total: Number(count?.total ?? 0) };
  }
}
