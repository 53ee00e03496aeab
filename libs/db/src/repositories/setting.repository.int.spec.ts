import { openSuiteDatabase, TestData, type SuiteDatabase } from '../testing';
import type { Database } from '../open-database';
import { PgSettingRepository } from './setting.repository';

/** Settings and friends against a real, migrated Postgres (docs/api.md §9, docs/data-model.md §2.4, §5). */
describe('setting repository', () => {
  let suite: SuiteDatabase;
  let db: Database;
  let settings: PgSettingRepository;
  let data: TestData;

  beforeAll(async () => {
    suite = await openSuiteDatabase('db_settings');
    db = suite.db;
    settings = new PgSettingRepository(db.em);
    data = new TestData(db.em.fork());
  });

  afterAll(async () => {
    await suite?.cleanup();
  });

  const query = <T>(sql: string, params: unknown[] = []) =>
    db.em.fork().getConnection().execute<T[]>(sql, params);

  const settingOf = async (accountId: number, relationId: number) =>
    (
      await query<{ nick_name: string; is_pin: boolean; pin_time: Date; last_show: Date }>(
        'select nick_name, is_pin, pin_time, last_show from setting where account_id = ? and relation_id = ?',
        [accountId, relationId],
      )
    )[0]!;

  it('reports missing, changed and unchanged, and stamps pin_time only when pinning', async () => {
    const [a, b] = [await data.account(), await data.account()];
    const { relation } = await data.friendship(a, b);
    const before = await settingOf(a.id, relation.id);
    expect(await settings.update(a.id, 9_000_000_000, { field: 'isPin', value: true })).toBe(
      'missing',
    );
    expect(await settings.update(a.id, relation.id, { field: 'isPin', value: false })).toBe(
      'unchanged',
    );
    expect(await settings.update(a.id, relation.id, { field: 'isPin', value: true })).toBe(
      'changed',
    );
    const pinned = await settingOf(a.id, relation.id);
    expect(pinned.is_pin).toBe(true);
    expect(new Date(pinned.pin_time).getTime()).toBeGreaterThan(
      new Date(before.pin_time).getTime(),
    );
    expect(await settings.update(a.id, relation.id, { field: 'isPin', value: true })).toBe(
      'unchanged',
    );
    expect((await settingOf(a.id, relation.id)).pin_time).toEqual(pinned.pin_time);
    // The other side's setting is untouched.
    expect((await settingOf(b.id, relation.id)).is_pin).toBe(false);
  });

  it('always refreshes last_show when showing, and hiding twice is unchanged', async () => {
    const a = await data.account();
    const { relation } = await data.friendship(a, a);
    const before = (await settingOf(a.id, relation.id)).last_show;
    expect(await settings.update(a.id, relation.id, { field: 'isShow', value: true })).toBe(
      'changed',
    );
    expect(new Date((await settingOf(a.id, relation.id)).last_show).getTime()).toBeGreaterThan(
      new Date(before).getTime(),
    );
    expect(await settings.update(a.id, relation.id, { field: 'isShow', value: false })).toBe(
      'changed',
    );
    expect(await settings.update(a.id, relation.id, { field: 'isShow', value: false })).toBe(
      'unchanged',
    );
  });

  it('stores a remark and reports the same remark as unchanged', async () => {
    const [a, b] = [await data.account(), await data.account()];
    const { relation } = await data.friendship(a, b);
    expect(await settings.update(a.id, relation.id, { field: 'nickName', value: '老王' })).toBe(
      'changed',
    );
    expect(await settings.update(a.id, relation.id, { field: 'nickName', value: '老王' })).toBe(
      'unchanged',
    );
    expect((await settingOf(a.id, relation.id)).nick_name).toBe('老王');
  });

  it('lists friends with the other account, the self conversation with the account itself, by name', async () => {
    const me = await data.account({ name: 'm-me' });
    const zed = await data.account({ name: 'm-zed' });
    const amy = await data.account({ name: 'm-amy' });
    const self = await data.friendship(me, me);
    const withZed = await data.friendship(zed, me);
    const withAmy = await data.friendship(me, amy);
    await data.group(me);
    const friends = await settings.friends(me.id);
    expect(friends.map((f) => [f.relationId, f.friend.accountId, f.friend.name])).toEqual([
      [withAmy.relation.id, amy.id, 'm-amy'],
      [self.relation.id, me.id, 'm-me'],
      [withZed.relation.id, zed.id, 'm-zed'],
    ]);
    expect(friends.every((f) => f.relationType === 'friend' && f.group === null)).toBe(true);
  });

  it('finds friends by account name or remark, case-insensitive, keeping the account name', async () => {
    const me = await data.account({ name: 's-me' });
    const bob = await data.account({ name: 'Bob_Smith' });
    const carol = await data.account({ name: 'carol' });
    const dave = await data.account({ name: '100%dave' });
    const bobR = await data.friendship(me, bob);
    const carolR = await data.friendship(me, carol);
    await data.friendship(me, dave);
    await settings.update(me.id, carolR.relation.id, { field: 'nickName', value: 'BOBBY fan' });

    const byBob = await settings.searchFriends(me.id, 'bob', 1, 10);
    expect(byBob.total).toBe(2);
    expect(byBob.rows.map((r) => [r.relationId, r.friend.name, r.nickName])).toEqual([
      [bobR.relation.id, 'Bob_Smith', ''],
      [carolR.relation.id, 'carol', 'BOBBY fan'],
    ]);
    // Wildcards are literal: '_' matches only an underscore, '%' only a percent sign.
    expect(
      (await settings.searchFriends(me.id, 'b_s', 1, 10)).rows.map((r) => r.friend.name),
    ).toEqual(['Bob_Smith']);
    expect((await settings.searchFriends(me.id, 'o_', 1, 10)).total).toBe(0);
    expect(
      (await settings.searchFriends(me.id, '%', 1, 10)).rows.map((r) => r.friend.name),
    ).toEqual(['100%dave']);
    expect((await settings.searchFriends(me.id, '\\', 1, 10)).total).toBe(0);
    const paged = await settings.searchFriends(me.id, 'bob', 2, 1);
    expect(paged).toMatchObject({ total: 2, rows: [{ relationId: carolR.relation.id }] });
  });

  it('lists pins by pin_time ascending and shows by last_show descending, groups included', async () => {
    const me = await data.account();
    const f = await data.account();
    const friend = await data.friendship(me, f);
    const group = await data.group(me, [], { groupName: 'g, "quoted"' });
    await settings.update(me.id, group.relation.id, { field: 'isPin', value: true });
    // PGlite's clock can give two transactions in a row the same now(): the second pin
    // must be stamped later for the order under test (ties go by relation id).
    await new Promise((resolve) => setTimeout(resolve, 20));
    await settings.update(me.id, friend.relation.id, { field: 'isPin', value: true });
    const pins = await settings.pinned(me.id);
    expect(pins.map((p) => p.relationId)).toEqual([group.relation.id, friend.relation.id]);
    expect(pins[0]!.group).toEqual({
      id: group.relation.id,
      name: 'g, "quoted"',
      description: 'a test group',
      avatar: 'https://example.com/group.png',
    });
    expect(pins[0]!.friend).toBeNull();
    expect(pins[1]!.friend).toEqual({ accountId: f.id, name: f.name, avatar: f.avatar });

    await settings.update(me.id, group.relation.id, { field: 'isShow', value: true });
    const shows = await settings.shown(me.id);
    expect(shows.map((s) => s.relationId)).toEqual([group.relation.id, friend.relation.id]);
    await settings.update(me.id, group.relation.id, { field: 'isShow', value: false });
    expect((await settings.shown(me.id)).map((s) => s.relationId)).toEqual([friend.relation.id]);
  });

  it('deletes a friendship with its settings, messages, cursors and the pair’s application', async () => {
    const [a, b] = [await data.account(), await data.account()];
    const { relation } = await data.friendship(a, b);
    await data.application(b, a);
    const msg = await data.textMessage(relation, a, 'hello');
    await query(
      'insert into read_cursor (account_id, relation_id, last_read_msg_id) values (?, ?, ?)',
      [b.id, relation.id, msg.id],
    );
    const file = await data.file({ relationId: relation.id, accountId: a.id });

    expect(await settings.deleteFriend(b.id, relation.id)).toEqual({
      accountIds: [Math.min(a.id, b.id), Math.max(a.id, b.id)],
    });
    const count = async (sql: string, p: unknown[]) =>
      Number((await query<{ n: string }>(sql, p))[0]!.n);
    expect(await count('select count(*) as n from relation where id = ?', [relation.id])).toBe(0);
    expect(
      await count('select count(*) as n from setting where relation_id = ?', [relation.id]),
    ).toBe(0);
    expect(
      await count('select count(*) as n from message where relation_id = ?', [relation.id]),
    ).toBe(0);
    expect(
      await count('select count(*) as n from read_cursor where relation_id = ?', [relation.id]),
    ).toBe(0);
    expect(
      await count('select count(*) as n from application where account1_id in (?, ?)', [
        a.id,
        b.id,
      ]),
    ).toBe(0);
    expect(await query('select relation_id from file where id = ?', [file.id])).toEqual([
      { relation_id: null },
    ]);
    expect(await settings.deleteFriend(b.id, relation.id)).toBe('missing');
  });

  it('refuses strangers, the self conversation and groups', async () => {
    const [a, b, stranger] = [await data.account(), await data.account(), await data.account()];
    const { relation } = await data.friendship(a, b);
    const self = await data.friendship(a, a);
    const group = await data.group(a);
    expect(await settings.deleteFriend(stranger.id, relation.id)).toBe('not_party');
    expect(await settings.deleteFriend(a.id, self.relation.id)).toBe('self');
    expect(await settings.deleteFriend(stranger.id, self.relation.id)).toBe('not_party');
    expect(await settings.deleteFriend(a.id, group.relation.id)).toBe('missing');
    expect(await settings.friends(a.id)).toHaveLength(2);
  });
});
