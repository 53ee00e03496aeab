import { openSuiteDatabase, TestData, type SuiteDatabase } from '../testing';
import type { Database } from '../open-database';
import { PgGroupRepository } from './group.repository';
import { PgNoticeRepository } from './notice.repository';

/** The group and notice repositories against a real, migrated Postgres. */
describe('group and notice repositories', () => {
  let suite: SuiteDatabase;
  let db: Database;
  let groups: PgGroupRepository;
  let notices: PgNoticeRepository;
  let data: TestData;

  beforeAll(async () => {
    suite = await openSuiteDatabase('db_groups');
    db = suite.db;
    groups = new PgGroupRepository(db.em);
    notices = new PgNoticeRepository(db.em);
    data = new TestData(db.em.fork());
  });

  afterAll(async () => {
    await suite?.cleanup();
  });

  const count = async (sql: string, params: unknown[]) =>
    Number((await db.em.fork().getConnection().execute<{ n: string }[]>(sql, params))[0]!.n);

  it('creates a group with its avatar stored and the creator as its only, leading member', async () => {
    const leader = await data.account();
    const g = await groups.create({
      leaderId: leader.id,
      name: 'hikers',
      description: 'we walk',
      avatar: 'https://example.com/default.png',
    });
    if (g === 'account_gone') throw new Error('unexpected');
    const [row] = await db.em
      .fork()
      .getConnection()
      .execute('select group_avatar, group_name from relation where id = ?', [g.id]);
    expect(row).toEqual({ group_avatar: 'https://example.com/default.png', group_name: 'hikers' });
    expect(await groups.role(leader.id, g.id)).toEqual({ isGroup: true, isLeader: true });
    expect(await groups.memberIds(g.id)).toEqual([leader.id]);
  });

  it('creates nothing when the leader account is gone', async () => {
    const before = await count(
      `select count(*) as n from relation where relation_type = 'group'`,
      [],
    );
    expect(
      await groups.create({ leaderId: 9_000_000_000, name: 'x', description: 'y', avatar: 'z' }),
    ).toBe('account_gone');
    expect(
      await count(`select count(*) as n from relation where relation_type = 'group'`, []),
    ).toBe(before);
  });

  it('invites only friends of the inviter, whichever of the two ids is smaller', async () => {
    const smaller = await data.account();
    const inviter = await data.account();
    const larger = await data.account();
    const stranger = await data.account();
    await data.friendship(inviter, smaller);
    await data.friendship(inviter, larger);
    await data.friendship(inviter, inviter);
    const { relation } = await data.group(inviter);
    const r = await groups.invite(relation.id, inviter.id, [
      larger.id,
      stranger.id,
      inviter.id,
      smaller.id,
      larger.id,
    ]);
    expect(r).toEqual({
      added: [larger.id, smaller.id],
      memberIds: [smaller.id, inviter.id, larger.id].sort((a, b) => a - b),
    });
    // Already members now: a second invite adds nothing.
    expect(await groups.invite(relation.id, inviter.id, [smaller.id])).toMatchObject({ added: [] });
    expect(await groups.invite(relation.id, stranger.id, [smaller.id])).toBe('not_member');
    const friendship = await data.friendship(smaller, larger);
    expect(await groups.invite(friendship.relation.id, smaller.id, [larger.id])).toBe('not_group');
  });

  it('transfers leadership only from the leader to a member', async () => {
    const [a, b, c] = [await data.account(), await data.account(), await data.account()];
    const { relation } = await data.group(a, [b]);
    expect(await groups.transfer(relation.id, b.id, a.id)).toBe('not_leader');
    expect(await groups.transfer(relation.id, a.id, c.id)).toBe('not_member');
    expect(await groups.transfer(relation.id, a.id, a.id)).toBe('unchanged');
    expect(await groups.transfer(relation.id, a.id, b.id)).toEqual({
      memberIds: [a.id, b.id].sort((x, y) => x - y),
    });
    expect(await groups.role(a.id, relation.id)).toEqual({ isGroup: true, isLeader: false });
    expect(await groups.role(b.id, relation.id)).toEqual({ isGroup: true, isLeader: true });
  });

  it('lets members but not the leader quit, and refuses non-members', async () => {
    const [a, b, c] = [await data.account(), await data.account(), await data.account()];
    const { relation } = await data.group(a, [b]);
    expect(await groups.quit(relation.id, a.id)).toBe('leader');
    expect(await groups.quit(relation.id, c.id)).toBe('not_member');
    expect(await groups.quit(relation.id, b.id)).toEqual({ remainingIds: [a.id] });
    expect(await groups.quit(relation.id, b.id)).toBe('not_member');
    const self = await data.friendship(c, c);
    expect(await groups.quit(self.relation.id, c.id)).toBe('not_group');
  });

  it('dissolves with the member list read before the rows are deleted', async () => {
    const [a, b] = [await data.account(), await data.account()];
    const { relation } = await data.group(a, [b]);
    await notices.create({
      relationId: relation.id,
      authorId: a.id,
      msgContent: 'hi',
      msgExpand: null,
    });
    await data.textMessage(relation, b, 'hello');
    expect(await groups.dissolve(relation.id, b.id)).toBe('not_leader');
    expect(await groups.dissolve(relation.id, a.id)).toEqual({
      memberIds: [a.id, b.id].sort((x, y) => x - y),
    });
    for (const table of [
      'relation where id',
      'setting where relation_id',
      'message where relation_id',
      'group_notify where relation_id',
    ]) {
      expect(await count(`select count(*) as n from ${table} = ?`, [relation.id])).toBe(0);
    }
  });

  it('lists and searches the groups of an account, escaping wildcards', async () => {
    const [a, b] = [await data.account(), await data.account()];
    const g1 = await data.group(a, [], { groupName: 'Zeta 100%' });
    const g2 = await data.group(b, [a], { groupName: 'alpha_beta' });
    await data.group(b, [], { groupName: 'zeta not mine' });
    const list = await groups.listOf(a.id);
    expect(list.map((s) => s.group.id)).toEqual([g1.relation.id, g2.relation.id]);
    expect(list[0]).toMatchObject({
      group: { name: 'Zeta 100%', description: 'a test group' },
      nickName: '',
      isShow: true,
    });
    expect(list[0]!.lastShow).toBeInstanceOf(Date);

    const zeta = await groups.searchByName(a.id, 'ZETA', 1, 10);
    expect(zeta.total).toBe(1);
    expect(zeta.rows.map((s) => s.group.id)).toEqual([g1.relation.id]);
    expect((await groups.searchByName(a.id, '0%', 1, 10)).total).toBe(1);
    expect((await groups.searchByName(a.id, '%', 1, 10)).total).toBe(1);
    expect((await groups.searchByName(a.id, '_', 1, 10)).rows[0]!.group.id).toBe(g2.relation.id);
    expect(await groups.searchByName(a.id, 'a', 2, 1)).toMatchObject({ total: 2 });
    expect((await groups.searchByName(a.id, 'a', 3, 1)).rows).toEqual([]);
    expect((await groups.searchByName(a.id, 'nothing', 1, 10)).total).toBe(0);
  });

  it('lists members leader first, then by name', async () => {
    const leader = await data.account({ name: 'zz-leader' });
    const m1 = await data.account({ name: 'bb' });
    const m2 = await data.account({ name: 'aa' });
    const { relation } = await data.group(leader, [m1, m2]);
    const members = await groups.members(relation.id);
    expect(members.map((m) => [m.accountId, m.isLeader])).toEqual([
      [leader.id, true],
      [m2.id, false],
      [m1.id, false],
    ]);
    expect(members[1]).toMatchObject({ name: 'aa', nickName: '', avatar: m2.avatar });
  });

  it('finds, updates and deletes a notice only within its own group', async () => {
    const a = await data.account();
    const b = await data.account();
    const g1 = await data.group(a);
    const g2 = await data.group(a);
    const expand = { remind: [{ idx: 1, account_id: b.id }] };
    const created = await notices.create({
      relationId: g1.relation.id,
      authorId: a.id,
      msgContent: `it's "quoted" \\ and 中文`,
      msgExpand: expand,
    });
    if (created === 'group_gone') throw new Error('unexpected');
    const second = await notices.create({
      relationId: g1.relation.id,
      authorId: a.id,
      msgContent: 'second',
      msgExpand: null,
    });
    if (second === 'group_gone') throw new Error('unexpected');
    const listed = await notices.listOf(g1.relation.id);
    expect(listed.map((n) => n.id)).toEqual([second.id, created.id]);
    expect(listed[1]).toMatchObject({ msgContent: `it's "quoted" \\ and 中文`, msgExpand: expand });

    const wrongGroup = {
      id: created.id,
      relationId: g2.relation.id,
      authorId: b.id,
      msgContent: 'x',
      msgExpand: null,
    };
    expect(await notices.update(wrongGroup)).toBeNull();
    expect(await notices.delete(created.id, g2.relation.id)).toBe(false);

    const updated = await notices.update({ ...wrongGroup, relationId: g1.relation.id });
    expect(updated).toMatchObject({ accountId: b.id, msgContent: 'x', msgExpand: null });
    expect(updated!.createAt.getTime()).toBeGreaterThanOrEqual(created.createAt.getTime());
    expect(await notices.delete(created.id, g1.relation.id)).toBe(true);
    expect((await notices.listOf(g1.relation.id)).map((n) => n.id)).toEqual([second.id]);
    expect(
      await notices.create({
        relationId: 9_000_000_000,
        authorId: a.id,
        msgContent: 'x',
        msgExpand: null,
      }),
    ).toBe('group_gone');
  });
});
