import { SnowflakeGenerator } from '@chat/ids';
import type { Database } from '../open-database';
import { openSuiteDatabase, TestData, textRows, type SuiteDatabase } from '../testing';
import { PgAccountRepository } from './account.repository';
import { PgGroupRepository } from './group.repository';
import { PgMessageQueryRepository } from './message-query.repository';
import { MessageStoreRepository } from './message-store.repository';
import { PgSettingRepository } from './setting.repository';

let suite: SuiteDatabase;
let db: Database;
const ids = new SnowflakeGenerator({ nodeId: 7 });
const data = () => new TestData(db.em.fork());
/** Each call its own entity manager, as concurrent requests of the api have. */
const repo = () => new PgMessageQueryRepository(db.em.fork());

const text = textRows(ids);

/** A group of two with `n` messages stored by the persister's repository (seq 1 … n). */
async function group(n: number) {
  const t = data();
  const [a, b] = [await t.account(), await t.account()];
  const { relation } = await t.group(a, [b]);
  const rows = Array.from({ length: n }, (_, i) => text(relation.id, a.id, `m${i + 1}`));
  await new MessageStoreRepository(db.em).store(rows);
  return { rel: relation.id, a: a.id, b: b.id, ids: rows.map((r) => r.id) };
}

/** The message's `change_seq` and its relation's counter, as stored. */
async function stamps(relationId: number, messageIds: number[]) {
  const em = db.em.fork();
  const msgs = await em.execute<{ id: string; change_seq: string | null }[]>(
    'select id, change_seq from message where id = any(?::bigint[]) order by id',
    [`{${messageIds.join(',')}}`],
  );
  const [counter] = await em.execute<{ last_change: string }[]>(
    'select last_change from relation_change where relation_id = ?',
    [relationId],
  );
  return {
    bySeq: messageIds.map((id) => {
      const c = msgs.find((m) => Number(m.id) === id)!.change_seq;
      return c === null ? null : Number(c);
    }),
    last: counter ? Number(counter.last_change) : 0,
  };
}

beforeAll(async () => {
  suite = await openSuiteDatabase('db_message_changes');
  db = suite.db;
});

afterAll(async () => {
  await suite?.cleanup();
});

describe('change stamps (docs/data-model.md §2.16)', () => {
  it('stamps every change once, in order, and nothing that changed nothing', async () => {
    const g = await group(6);
    const [m1, m2, m3, m4, m5, m6] = g.ids;
    expect(await stamps(g.rel, g.ids)).toEqual({
      bySeq: [null, null, null, null, null, null],
      last: 0,
    });

    await repo().editText(m1, 'edited'); // 1
    expect((await repo().react(m2, g.b, '👍', true, 20)).changed).toBe(true); // 2
    // Idempotent reactions and unchanged pins take no number.
    expect((await repo().react(m2, g.b, '👍', true, 20)).changed).toBe(false);
    expect((await repo().react(m2, g.a, '👍', false, 20)).changed).toBe(false);
    expect(await repo().revoke(m3)).toEqual({ wasPinned: false, wasTop: false }); // 3
    expect(await repo().revoke(m3)).toBeNull();
    expect(await repo().setPin(m4, true)).toBe('changed'); // 4
    expect(await repo().setPin(m4, true)).toBe('unchanged');
    expect(await repo().setPin(m3, true)).toBe('revoked');
    expect(await repo().setTop(g.rel, m5, true)).toEqual({ changed: true, previousTop: null }); // 5
    // Topping m6 un-tops m5: one change, one number on both.
    expect(await repo().setTop(g.rel, m6, true)).toEqual({ changed: true, previousTop: m5 }); // 6
    expect(await repo().setTop(g.rel, m6, true)).toEqual({ changed: false, previousTop: null });
    expect(await stamps(g.rel, g.ids)).toEqual({ bySeq: [1, 2, 3, 4, 6, 6], last: 6 });

    // A removal that removes something is a change too.
    expect((await repo().react(m2, g.b, '👍', false, 20)).changed).toBe(true); // 7
    expect(await stamps(g.rel, g.ids)).toEqual({ bySeq: [1, 7, 3, 4, 6, 6], last: 7 });
  });

  it('sync: changes up to after_seq in change order, each with its current state for the caller', async () => {
    const g = await group(6);
    const [m1, m2, m3, m4, m5, m6] = g.ids;
    const before = await repo().syncRelation(g.b, g.rel, 0, null, 100);
    expect(before).toMatchObject({ changed: [], lastChange: 0, lastSeq: 6, hasMore: false });
    expect(before.rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);

    await repo().editText(m1, 'edited');
    await repo().react(m2, g.b, '🎉', true, 20);
    await repo().revoke(m3);
    await repo().setPin(m4, true);
    await repo().setTop(g.rel, m5, true);
    await repo().setTop(g.rel, m6, true);

    const all = await repo().syncRelation(g.b, g.rel, 6, 0, 100);
    expect(all.rows).toEqual([]);
    expect(all.changed.map((r) => r.id)).toEqual([m1, m2, m3, m4, m5, m6]);
    expect(all).toMatchObject({ lastChange: 6, lastSeq: 6, hasMore: false });
    const [v1, v2, v3, v4, v5, v6] = all.changed;
    expect(v1).toMatchObject({ msgContent: 'edited', editAt: expect.any(Date) });
    expect(v2.reactions).toEqual([{ emoji: '🎉', count: 1, me: true }]);
    expect(v3.isRevoke).toBe(true);
    expect(v4.isPin).toBe(true);
    expect([v5.isTop, v6.isTop]).toEqual([false, true]);
    // The same changes seen by the other member: `me` is the caller's.
    const byA = await repo().syncRelation(g.a, g.rel, 6, 0, 100);
    expect(byA.changed[1].reactions).toEqual([{ emoji: '🎉', count: 1, me: false }]);

    // Only messages up to after_seq come in `changed`; later ones come in `rows`, as they are now.
    const upTo3 = await repo().syncRelation(g.b, g.rel, 3, 0, 100);
    expect(upTo3.changed.map((r) => r.id)).toEqual([m1, m2, m3]);
    expect(upTo3.rows.map((r) => [r.id, r.isPin, r.isTop])).toEqual([
      [m4, true, false],
      [m5, false, false],
      [m6, false, true],
    ]);
    expect(upTo3.lastChange).toBe(6);

    // From the last position, nothing; from a position past the counter, the counter.
    expect(await repo().syncRelation(g.b, g.rel, 6, 6, 100)).toMatchObject({
      changed: [],
      lastChange: 6,
      hasMore: false,
    });
    expect(await repo().syncRelation(g.b, g.rel, 6, 99, 100)).toMatchObject({
      changed: [],
      lastChange: 6,
    });
  });

  it('pages changes by the limit, never splitting one change over two pages', async () => {
    const g = await group(6);
    const [m1, m2, m3, m4, m5, m6] = g.ids;
    await repo().editText(m1, 'one'); // 1
    await repo().react(m2, g.a, 'ok', true, 20); // 2
    await repo().setPin(m3, true); // 3
    await repo().setPin(m4, true); // 4
    await repo().setTop(g.rel, m5, true); // 5
    await repo().setTop(g.rel, m6, true); // 6: m5 and m6

    const page = async (afterChange: number, limit: number) => {
      const r = await repo().syncRelation(g.a, g.rel, 6, afterChange, limit);
      return { ids: r.changed.map((v) => v.id), lastChange: r.lastChange, hasMore: r.hasMore };
    };
    // Walk the whole list two at a time, resuming from each answer's last_change.
    const seen: number[] = [];
    let position = 0;
    for (let calls = 0; calls < 10; calls++) {
      const p = await page(position, 2);
      seen.push(...p.ids);
      position = p.lastChange;
      if (!p.hasMore) break;
    }
    expect(seen).toEqual([m1, m2, m3, m4, m5, m6]);
    expect(position).toBe(6);

    expect(await page(0, 2)).toEqual({ ids: [m1, m2], lastChange: 2, hasMore: true });
    // Three from 2 would end between m5 and m6 (both number 6): the page stops before them.
    expect(await page(2, 3)).toEqual({ ids: [m3, m4], lastChange: 4, hasMore: true });
    // One from 4: the one change is two messages, both come, past the limit.
    expect(await page(4, 1)).toEqual({ ids: [m5, m6], lastChange: 6, hasMore: true });
    expect(await page(6, 1)).toEqual({ ids: [], lastChange: 6, hasMore: false });
  });

  it('a change made after a page was read comes on the next page, even to a message already received', async () => {
    const g = await group(3);
    const [m1, m2] = g.ids;
    await repo().setPin(m1, true); // 1
    await repo().setPin(m2, true); // 2
    const first = await repo().syncRelation(g.a, g.rel, 3, 0, 1);
    expect(first.changed.map((v) => v.id)).toEqual([m1]);
    await repo().editText(m1, 'again'); // 3
    const second = await repo().syncRelation(g.a, g.rel, 3, first.lastChange, 10);
    expect(second.changed.map((v) => [v.id, v.msgContent])).toEqual([
      [m2, 'm2'],
      [m1, 'again'],
    ]);
    expect(second.lastChange).toBe(3);
  });

  it('concurrent changes of one relation take distinct, gap-free numbers', async () => {
    const n = 12;
    const g = await group(n);
    const results = await Promise.all(
      g.ids.map((id, i) => repo().react(id, i % 2 ? g.a : g.b, '👍', true, 20)),
    );
    expect(results.every((r) => r.changed)).toBe(true);
    const { bySeq, last } = await stamps(g.rel, g.ids);
    expect([...bySeq].sort((x, y) => x! - y!)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(last).toBe(n);
    // Reactions racing on one message and a pin of another: still one number each.
    const [x, y] = g.ids;
    const more = await Promise.all([
      repo().react(x, g.a, '🎉', true, 20),
      repo().react(x, g.b, '🎉', true, 20),
      repo().react(x, g.a, '🔥', true, 20),
      repo().setPin(y, true),
    ]);
    expect(more.map((r) => (typeof r === 'string' ? r : r.changed))).toEqual([
      true,
      true,
      true,
      'changed',
    ]);
    expect((await stamps(g.rel, [x])).last).toBe(n + 4);
    // Each comes back once, in the order of its last number.
    const [sx, sy] = (await stamps(g.rel, [x, y])).bySeq;
    const page = await repo().syncRelation(g.a, g.rel, n, n, 100);
    expect(page.changed.map((v) => v.id)).toEqual(sx! > sy! ? [y, x] : [x, y]);
    expect(page.lastChange).toBe(n + 4);
  });

  it('reactions, pins and tops racing in one relation neither deadlock nor skip a number', async () => {
    // A top locks the relation's row, then messages, then the counter; a reaction locks
    // its message, then the counter. Every one must succeed, each change with its own number.
    const g = await group(10);
    const ops: Promise<boolean>[] = [];
    for (let i = 0; i < 10; i++) {
      const id = g.ids[i];
      ops.push(
        repo()
          .react(id, g.b, '👍', true, 20)
          .then((r) => r.changed),
      );
      ops.push(
        repo()
          .setTop(g.rel, g.ids[i % 3], true)
          .then((r) => r.changed),
      );
      ops.push(
        repo()
          .setPin(id, true)
          .then((r) => r === 'changed'),
      );
      ops.push(
        repo()
          .react(g.ids[9 - i], g.a, 'ok', true, 20)
          .then((r) => r.changed),
      );
    }
    const changes = (await Promise.all(ops)).filter(Boolean).length;
    const { bySeq, last } = await stamps(g.rel, g.ids);
    expect(last).toBe(changes);
    expect(Math.max(...bySeq.map((c) => c ?? 0))).toBe(changes);
    const page = await repo().syncRelation(g.a, g.rel, 10, 0, 100);
    expect(page.changed.map((v) => v.id).sort()).toEqual([...g.ids].sort());
    expect(page.changed.filter((v) => v.isTop)).toHaveLength(1);
  });

  it('deleting an account stamps the group messages whose reaction counts it changes', async () => {
    const g = await group(3);
    const [m1, m2, m3] = g.ids;
    await repo().react(m1, g.b, '👍', true, 20); // 1
    await repo().react(m1, g.a, '👍', true, 20); // 2
    await repo().react(m2, g.a, 'ok', true, 20); // 3
    const position = await repo().syncRelation(g.b, g.rel, 3, null, 100);
    expect(position.lastChange).toBe(3);
    expect(await new PgAccountRepository(db.em.fork()).deleteAccount(g.b)).not.toBe('leader');
    const after = await repo().syncRelation(g.a, g.rel, 3, position.lastChange, 100);
    // m1 lost b's reaction (one number for the deletion); m2 and m3 did not change.
    expect(after.changed.map((v) => [v.id, v.reactions])).toEqual([
      [m1, [{ emoji: '👍', count: 1, me: true }]],
    ]);
    expect(after.lastChange).toBe(4);
    expect((await stamps(g.rel, [m2, m3])).bySeq).toEqual([3, null]);
  });

  it('a deleted relation takes its counter with it: unfriend, dissolve, account deletion', async () => {
    const counter = async (relationId: number) => (await stamps(relationId, [])).last;
    const t = data();
    const [a, b, c] = [await t.account(), await t.account(), await t.account()];
    const friendship = async (x: number, y: number) => {
      const { relation } = await t.friendship(x, y);
      const row = text(relation.id, x, 'hi');
      await new MessageStoreRepository(db.em).store([row]);
      await repo().setPin(row.id, true);
      expect(await counter(relation.id)).toBe(1);
      return relation.id;
    };
    const ab = await friendship(a.id, b.id);
    expect(await new PgSettingRepository(db.em.fork()).deleteFriend(a.id, ab)).toMatchObject({
      accountIds: [a.id, b.id].sort((x, y) => x - y),
    });
    expect(await counter(ab)).toBe(0);

    const g = await group(1);
    await repo().setPin(g.ids[0], true);
    expect(await new PgGroupRepository(db.em.fork()).dissolve(g.rel, g.a)).toHaveProperty(
      'memberIds',
    );
    expect(await counter(g.rel)).toBe(0);

    const bc = await friendship(b.id, c.id);
    const self = await friendship(c.id, c.id);
    const other = await friendship(a.id, b.id);
    expect(await new PgAccountRepository(db.em.fork()).deleteAccount(c.id)).not.toBe('leader');
    expect([await counter(bc), await counter(self), await counter(other)]).toEqual([0, 0, 1]);
  });
});
