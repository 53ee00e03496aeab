import { SnowflakeGenerator } from '@chat/ids';
import type { Database } from '../open-database';
import { openSuiteDatabase, TestData, textRows, type SuiteDatabase } from '../testing';
import { PgMessageLookupRepository } from './message-lookup.repository';
import { PgMessageQueryRepository } from './message-query.repository';
import { MessageStoreRepository } from './message-store.repository';
import { ReadCursorRepository } from './read-cursor.repository';

let suite: SuiteDatabase;
let db: Database;
const ids = new SnowflakeGenerator({ nodeId: 6 });
const data = () => new TestData(db.em.fork());
const repo = () => new PgMessageQueryRepository(db.em.fork());
const page = { page: 1, pageSize: 20 };

const text = textRows(ids);

/** A group of a leader and two members, and an outsider. */
async function group() {
  const t = data();
  const [leader, b, c, outsider] = [
    await t.account(),
    await t.account(),
    await t.account(),
    await t.account(),
  ];
  const { relation } = await t.group(leader, [b, c]);
  return { rel: relation.id, leader: leader.id, b: b.id, c: c.id, outsider: outsider.id };
}

beforeAll(async () => {
  suite = await openSuiteDatabase('db_message_features');
  db = suite.db;
});

afterAll(async () => {
  await suite?.cleanup();
});

describe('mentions', () => {
  it('stores members only, never the sender, and answers a redelivery with the same list', async () => {
    const g = await group();
    const store = new MessageStoreRepository(db.em);
    const row = text(g.rel, g.b, 'hi @c @outsider @b', {
      msgExtend: {
        remind: [
          { idx: 1, account_id: g.c },
          { idx: 2, account_id: g.outsider },
          { idx: 3, account_id: g.b },
        ],
      },
    });
    const [first] = (await store.store([row])).stored;
    expect(first.mentions).toEqual([g.c]);
    const [again] = (await store.store([row])).stored;
    expect(again).toMatchObject({ inserted: false, mentions: [g.c] });

    const seenByC = (await repo().beforeTime(g.c, g.rel, Date.now() + 60_000, page)).rows[0];
    const seenByLeader = (await repo().syncRelation(g.leader, g.rel, 0, null, 10)).rows[0];
    expect(seenByC.mentionedMe).toBe(true);
    expect(seenByLeader.mentionedMe).toBe(false);
    expect(await repo().unreadMentions(g.c, g.rel)).toBe(1);
    await new ReadCursorRepository(db.em).advance([
      { relationId: g.rel, accountId: g.c, lastReadMsgId: row.id },
    ]);
    expect(await repo().unreadMentions(g.c, g.rel)).toBe(0);
    const list = await repo().mentions(g.c, 0, page);
    expect(list.rows.map((r) => r.id)).toEqual([row.id]);
    expect(list.total).toBe(1);
    expect((await repo().mentions(g.leader, g.rel, page)).total).toBe(0);
  });

  it('takes @all from the leader only', async () => {
    const g = await group();
    const store = new MessageStoreRepository(db.em);
    const byLeader = text(g.rel, g.leader, '@all', { msgExtend: { remind: [], all: true } });
    const byMember = text(g.rel, g.b, '@all', { msgExtend: { remind: [], all: true } });
    const { stored } = await store.store([byLeader, byMember]);
    expect(stored.map((s) => s.mentions)).toEqual([[g.b, g.c].sort((x, y) => x - y), []]);
    expect(await new PgMessageLookupRepository(db.em).isLeader(g.leader, g.rel)).toBe(true);
    expect(await new PgMessageLookupRepository(db.em).isLeader(g.b, g.rel)).toBe(false);
  });
});

describe('edit', () => {
  it('replaces the text, sets edit_at and the search grams; refuses a revoked message', async () => {
    const g = await group();
    const m = await data().textMessage(g.rel, g.b, 'original words');
    const reply = await data().textMessage(g.rel, g.c, 'answer', { rlyMsgId: m.id });
    const at = await repo().editText(m.id, 'changed wording');
    expect(at).toBeInstanceOf(Date);
    const view = (await repo().beforeTime(g.b, g.rel, Date.now() + 60_000, page)).rows;
    expect(view.find((v) => v.id === m.id)).toMatchObject({
      msgContent: 'changed wording',
      editAt: at,
    });
    expect(view.find((v) => v.id === reply.id)?.rly?.msgContent).toBe('changed wording');
    expect((await repo().search(g.b, g.rel, 'wording', page))!).toMatchObject({ total: 1 });
    expect((await repo().search(g.b, g.rel, 'original', page))!).toMatchObject({ total: 0 });
    const never = view.find((v) => v.id === reply.id);
    expect(never?.editAt).toBeNull();

    await repo().revoke(m.id);
    expect(await repo().editText(m.id, 'again')).toBeNull();
  });
});

describe('reactions', () => {
  it('adds and removes idempotently, counts per emoji with "me", limits distinct emoji', async () => {
    const g = await group();
    const m = await data().textMessage(g.rel, g.b, 'react to me');
    expect(await repo().react(m.id, g.b, '👍', true, 2)).toEqual({ changed: true, count: 1 });
    expect(await repo().react(m.id, g.b, '👍', true, 2)).toEqual({ changed: false, count: 1 });
    expect(await repo().react(m.id, g.c, '👍', true, 2)).toEqual({ changed: true, count: 2 });
    expect(await repo().react(m.id, g.c, '🎉', true, 2)).toEqual({ changed: true, count: 1 });
    expect(await repo().react(m.id, g.c, 'ok', true, 2)).toEqual({
      changed: false,
      count: 0,
      limited: true,
    });
    const [asB] = (await repo().beforeTime(g.b, g.rel, Date.now() + 60_000, page)).rows;
    expect(asB.reactions).toEqual([
      { emoji: '👍', count: 2, me: true },
      { emoji: '🎉', count: 1, me: false },
    ]);
    expect(await repo().react(m.id, g.b, '👍', false, 2)).toEqual({ changed: true, count: 1 });
    expect(await repo().react(m.id, g.b, '👍', false, 2)).toEqual({ changed: false, count: 1 });
    const [asB2] = (await repo().beforeTime(g.b, g.rel, Date.now() + 60_000, page)).rows;
    expect(asB2.reactions[0]).toEqual({ emoji: '👍', count: 1, me: false });

    await repo().revoke(m.id);
    expect(await repo().react(m.id, g.b, '🎉', true, 2)).toMatchObject({
      changed: false,
      revoked: true,
    });
  });

  it('holds the distinct limit under concurrent adds', async () => {
    const g = await group();
    const m = await data().textMessage(g.rel, g.b, 'race');
    const emoji = ['😀', '😃', '😄', '😁', '😆', '😅'];
    const results = await Promise.all(emoji.map((e) => repo().react(m.id, g.c, e, true, 3)));
    expect(results.filter((r) => r.changed)).toHaveLength(3);
    const [view] = (await repo().beforeTime(g.c, g.rel, Date.now() + 60_000, page)).rows;
    expect(view.reactions).toHaveLength(3);
  });

  it('reactAsMember: answers missing and non-members untouched, else the change and the members', async () => {
    const g = await group();
    const m = await data().textMessage(g.rel, g.b, 'as member');
    expect(await repo().reactAsMember(ids.next(), g.b, '👍', true, 2)).toEqual({ missing: true });
    expect(await repo().reactAsMember(m.id, g.outsider, '👍', true, 2)).toEqual({
      notMember: true,
      relationId: g.rel,
    });
    const members = [g.leader, g.b, g.c].sort((x, y) => x - y);
    const change = (r: Awaited<ReturnType<PgMessageQueryRepository['reactAsMember']>>) =>
      r.missing || r.notMember ? r : r.change;
    expect(await repo().reactAsMember(m.id, g.b, '👍', true, 2)).toEqual({
      relationId: g.rel,
      members,
      change: { changed: true, count: 1 },
    });
    expect(change(await repo().reactAsMember(m.id, g.b, '👍', true, 2))).toEqual({
      changed: false,
      count: 1,
    });
    expect(change(await repo().reactAsMember(m.id, g.c, '👍', true, 2))).toEqual({
      changed: true,
      count: 2,
    });
    expect(change(await repo().reactAsMember(m.id, g.c, '🎉', true, 2))).toEqual({
      changed: true,
      count: 1,
    });
    expect(change(await repo().reactAsMember(m.id, g.c, 'ok', true, 2))).toEqual({
      changed: false,
      count: 0,
      limited: true,
    });
    expect(change(await repo().reactAsMember(m.id, g.b, '👍', false, 2))).toEqual({
      changed: true,
      count: 1,
    });
    expect(change(await repo().reactAsMember(m.id, g.b, '👍', false, 2))).toEqual({
      changed: false,
      count: 1,
    });
    await repo().revoke(m.id);
    expect(change(await repo().reactAsMember(m.id, g.b, '🎉', true, 2))).toMatchObject({
      changed: false,
      revoked: true,
    });
  });

  it('reactAsMember holds the distinct limit and the counts under concurrent adds', async () => {
    const g = await group();
    const m = await data().textMessage(g.rel, g.b, 'race as member');
    const emoji = ['😀', '😃', '😄', '😁', '😆', '😅'];
    const callers = [g.leader, g.b, g.c];
    const results = await Promise.all(
      emoji.flatMap((e) => callers.map((a) => repo().reactAsMember(m.id, a, e, true, 3))),
    );
    const changes = results.map((r) => (r.missing || r.notMember ? null : r.change));
    const added = changes.filter((c) => c?.changed);
    expect(added).toHaveLength(9);
    // Serialised per message: the counts of one emoji's adds are 1, 2, 3 in some order.
    expect(added.map((c) => c?.count).sort()).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(changes.filter((c) => c?.limited)).toHaveLength(9);
    const [view] = (await repo().beforeTime(g.c, g.rel, Date.now() + 60_000, page)).rows;
    expect(view.reactions).toHaveLength(3);
    expect(view.reactions.every((r) => r.count === 3)).toBe(true);
  });
});
