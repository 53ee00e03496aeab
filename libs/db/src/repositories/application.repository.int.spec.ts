import { openSuiteDatabase, TestData, type SuiteDatabase } from '../testing';
import type { Database } from '../open-database';
import type { ApplicationRecord } from '../ports/applications';
import { PgApplicationRepository } from './application.repository';

/** Friend requests against a real, migrated Postgres (docs/api.md §8, docs/data-model.md §2.6). */
describe('application repository', () => {
  let suite: SuiteDatabase;
  let db: Database;
  let apps: PgApplicationRepository;
  let data: TestData;

  beforeAll(async () => {
    suite = await openSuiteDatabase('db_applications');
    db = suite.db;
    apps = new PgApplicationRepository(db.em);
    data = new TestData(db.em.fork());
  });

  afterAll(async () => {
    await suite?.cleanup();
  });

  const query = <T>(sql: string, params: unknown[] = []) =>
    db.em.fork().getConnection().execute<T[]>(sql, params);

  const pair = async () => [await data.account(), await data.account()] as const;

  function row(r: Awaited<ReturnType<PgApplicationRepository['create']>>): ApplicationRecord {
    if (typeof r === 'string') throw new Error(`expected a row, got ${r}`);
    return r;
  }

  it('stores a pending application with both parties’ names and avatars', async () => {
    const [a, b] = await pair();
    const created = row(await apps.create(a.id, b.id, '你好'));
    expect(created).toMatchObject({
      applicant: { id: a.id, name: a.name, avatar: a.avatar },
      target: { id: b.id, name: b.name, avatar: b.avatar },
      applyMsg: '你好',
      refuseMsg: '',
      status: '已申请',
    });
    expect(created.createAt).toBeInstanceOf(Date);
  });

  it('refuses a second pending application of the pair, in either direction', async () => {
    const [a, b] = await pair();
    row(await apps.create(a.id, b.id, 'one'));
    expect(await apps.create(a.id, b.id, 'two')).toBe('pending');
    expect(await apps.create(b.id, a.id, 'three')).toBe('pending');
  });

  it('lets exactly one of several crossing concurrent applications through', async () => {
    for (let round = 0; round < 10; round++) {
      const [a, b] = await pair();
      const results = await Promise.all([
        apps.create(a.id, b.id, 'x'),
        apps.create(b.id, a.id, 'y'),
        apps.create(a.id, b.id, 'z'),
        apps.create(b.id, a.id, 'w'),
      ]);
      const winners = results.filter((r) => r !== 'pending');
      expect(winners).toHaveLength(1);
      const stored = await query<{ apply_msg: string }>(
        `select apply_msg from application
          where least(account1_id, account2_id) = ? and greatest(account1_id, account2_id) = ?`,
        [Math.min(a.id, b.id), Math.max(a.id, b.id)],
      );
      expect(stored).toEqual([{ apply_msg: row(winners[0]!).applyMsg }]);
    }
  });

  it('replaces a refused application of the pair with a new one, whoever applies', async () => {
    const [a, b] = await pair();
    row(await apps.create(a.id, b.id, 'first'));
    await apps.refuse(a.id, b.id, 'no');
    const again = row(await apps.create(b.id, a.id, 'my turn'));
    expect(again).toMatchObject({ applicant: { id: b.id }, status: '已申请', refuseMsg: '' });
    expect(
      await query('select account1_id from application where account2_id in (?, ?)', [a.id, b.id]),
    ).toEqual([{ account1_id: String(b.id) }]);
  });

  it('answers target_missing for an account that does not exist, and friends between friends', async () => {
    const [a, b] = await pair();
    expect(await apps.create(a.id, 9_000_000_000, 'hi')).toBe('target_missing');
    await data.friendship(b, a);
    expect(await apps.create(a.id, b.id, 'hi')).toBe('friends');
  });

  it('accepts in one go: friendship smaller id first, a setting per side, status accepted', async () => {
    const [small, big] = await pair();
    row(await apps.create(big.id, small.id, 'hi'));
    const done = await apps.accept(big.id, small.id);
    if (typeof done === 'string') throw new Error(done);
    expect(done.application).toMatchObject({ status: '已同意', applicant: { id: big.id } });
    expect(
      await query('select account1_id, account2_id from relation where id = ?', [done.relationId]),
    ).toEqual([{ account1_id: String(small.id), account2_id: String(big.id) }]);
    expect(
      await query('select account_id from setting where relation_id = ? order by account_id', [
        done.relationId,
      ]),
    ).toEqual([{ account_id: String(small.id) }, { account_id: String(big.id) }]);
    expect(await apps.accept(big.id, small.id)).toBe('accepted');
  });

  it('accepts only the direction that was applied for', async () => {
    const [a, b] = await pair();
    row(await apps.create(a.id, b.id, 'hi'));
    expect(await apps.accept(b.id, a.id)).toBe('missing');
  });

  it('creates one friendship when the same application is accepted twice at once', async () => {
    const [a, b] = await pair();
    row(await apps.create(a.id, b.id, 'hi'));
    const results = await Promise.all([apps.accept(a.id, b.id), apps.accept(a.id, b.id)]);
    expect(results.filter((r) => r === 'accepted')).toHaveLength(1);
    const [{ n }] = await query<{ n: string }>(
      `select count(*) as n from relation where relation_type = 'friend' and account1_id = ? and account2_id = ?`,
      [Math.min(a.id, b.id), Math.max(a.id, b.id)],
    );
    expect(Number(n)).toBe(1);
  });

  it('answers friends when accepting while a friendship already exists', async () => {
    const [a, b] = await pair();
    await data.application(a, b);
    await data.friendship(a, b);
    expect(await apps.accept(a.id, b.id)).toBe('friends');
    const [app] = await query<{ status: string }>(
      'select status from application where account1_id = ? and account2_id = ?',
      [a.id, b.id],
    );
    expect(app!.status).toBe('已申请');
  });

  it('refuses the applicant → target row itself, once, and never an accepted one', async () => {
    const [a, b] = await pair();
    row(await apps.create(a.id, b.id, 'hi'));
    expect(await apps.refuse(b.id, a.id, 'wrong way')).toBe('missing');
    const refused = await apps.refuse(a.id, b.id, 'not now');
    expect(refused).toMatchObject({ status: '已拒绝', refuseMsg: 'not now' });
    expect(await apps.refuse(a.id, b.id, 'again')).toBe('handled');

    const [c, d] = await pair();
    row(await apps.create(c.id, d.id, 'hi'));
    await apps.accept(c.id, d.id);
    expect(await apps.refuse(c.id, d.id, 'too late')).toBe('handled');
  });

  it('moves update_at on refuse and keeps create_at', async () => {
    const [a, b] = await pair();
    const created = row(await apps.create(a.id, b.id, 'hi'));
    await query(
      `update application set create_at = create_at - interval '1 hour', update_at = update_at - interval '1 hour'
        where account1_id = ? and account2_id = ?`,
      [a.id, b.id],
    );
    const refused = await apps.refuse(a.id, b.id, 'no');
    if (typeof refused === 'string') throw new Error(refused);
    expect(refused.createAt.getTime()).toBeLessThan(created.createAt.getTime());
    expect(refused.updateAt.getTime()).toBeGreaterThanOrEqual(created.createAt.getTime());
  });

  it('deletes only the caller’s own application, whatever its status', async () => {
    const [a, b] = await pair();
    row(await apps.create(a.id, b.id, 'hi'));
    expect(await apps.remove(b.id, a.id)).toBe(false);
    await apps.refuse(a.id, b.id, 'no');
    expect(await apps.remove(a.id, b.id)).toBe(true);
    expect(await apps.remove(a.id, b.id)).toBe(false);
  });

  it('lists the applications of either side, newest first, paged, with the total', async () => {
    const me = await data.account();
    const others = [await data.account(), await data.account(), await data.account()];
    row(await apps.create(me.id, others[0]!.id, 'mine'));
    row(await apps.create(others[1]!.id, me.id, 'theirs'));
    row(await apps.create(others[2]!.id, me.id, 'latest'));
    // Distinct creation times, oldest first as created.
    for (const [i, o] of others.entries()) {
      await query(
        `update application set create_at = now() - make_interval(mins => ?)
          where least(account1_id, account2_id) = least(?::bigint, ?::bigint)
            and greatest(account1_id, account2_id) = greatest(?::bigint, ?::bigint)`,
        [10 - i, me.id, o.id, me.id, o.id],
      );
    }
    const first = await apps.listOf(me.id, 1, 2);
    expect(first.total).toBe(3);
    expect(first.rows.map((r) => r.applyMsg)).toEqual(['latest', 'theirs']);
    const second = await apps.listOf(me.id, 2, 2);
    expect(second.rows.map((r) => r.applyMsg)).toEqual(['mine']);
  });
});
