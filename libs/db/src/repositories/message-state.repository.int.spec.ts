import type { Database } from '../open-database';
import { openSuiteDatabase, TestData, type SuiteDatabase } from '../testing';
import { PgMessageQueryRepository } from './message-query.repository';

let suite: SuiteDatabase;
let db: Database;
const data = () => new TestData(db.em.fork());
/** Each call its own entity manager, as concurrent requests of the api have. */
const repo = () => new PgMessageQueryRepository(db.em.fork());

async function conversation(...contents: string[]) {
  const t = data();
  const a = await t.account();
  const { relation } = await t.friendship(a, a);
  const ids: number[] = [];
  for (const c of contents) ids.push((await t.textMessage(relation, a, c)).id);
  return { relation: relation.id, ids };
}

async function flags(id: number) {
  const [r] = await db.em
    .fork()
    .execute<{ is_pin: boolean; is_top: boolean; is_revoke: boolean }[]>(
      'SELECT is_pin, is_top, is_revoke FROM message WHERE id = ?',
      [id],
    );
  return r;
}

beforeAll(async () => {
  suite = await openSuiteDatabase('db_message_state');
  db = suite.db;
});

afterAll(async () => {
  await suite?.cleanup();
});

describe('message pin and top under races', () => {
  it('does not pin or top a revoked message, and says so', async () => {
    const c = await conversation('gone');
    const [id] = c.ids;
    expect(await repo().revoke(id)).toEqual({ wasPinned: false, wasTop: false });
    expect(await repo().setPin(id, true)).toBe('revoked');
    expect(await repo().setTop(c.relation, id, true)).toEqual({
      changed: false,
      previousTop: null,
      revoked: true,
    });
    expect(await flags(id)).toEqual({ is_pin: false, is_top: false, is_revoke: true });
    // Unpinning what is not pinned changes nothing, revoked or not.
    expect(await repo().setPin(id, false)).toBe('unchanged');
  });

  it('pins once: a second pin is unchanged', async () => {
    const c = await conversation('keep');
    expect(await repo().setPin(c.ids[0], true)).toBe('changed');
    expect(await repo().setPin(c.ids[0], true)).toBe('unchanged');
    expect(await repo().setPin(c.ids[0], false)).toBe('changed');
  });

  it('serialises concurrent tops of one relation: one top remains, and every call resolves', async () => {
    const c = await conversation('a', 'b', 'c', 'd', 'e', 'f');
    const results = await Promise.all(c.ids.map((id) => repo().setTop(c.relation, id, true)));
    expect(results.every((r) => r.changed)).toBe(true);
    const tops = [];
    for (const id of c.ids) if ((await flags(id)).is_top) tops.push(id);
    expect(tops).toHaveLength(1);
    // Every call but the first un-topped the one before it: a chain over all six.
    const unTopped = results.map((r) => r.previousTop).filter((p) => p !== null);
    expect(unTopped).toHaveLength(c.ids.length - 1);
    expect(new Set([...unTopped, tops[0]])).toEqual(new Set(c.ids));
  });
});
