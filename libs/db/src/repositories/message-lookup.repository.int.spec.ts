import { SnowflakeGenerator } from '@chat/ids';
import type { Database } from '../open-database';
import { openSuiteDatabase, TestData, type SuiteDatabase } from '../testing';
import { PgMessageLookupRepository } from './message-lookup.repository';
import { ReadCursorRepository } from './read-cursor.repository';

let suite: SuiteDatabase;
let db: Database;
let lookups: PgMessageLookupRepository;
const HOUR = 3_600_000;
/** Test data whose message ids (and so creation times) are taken at `ms`. */
const dataAt = (ms: number) =>
  new TestData(db.em.fork(), new SnowflakeGenerator({ nodeId: 31, clock: () => ms }));

beforeAll(async () => {
  suite = await openSuiteDatabase('db_message_lookup');
  db = suite.db;
  lookups = new PgMessageLookupRepository(db.em);
});

afterAll(async () => {
  await suite?.cleanup();
});

/** The gateway's reads on its request path (docs/protocol.md §3, docs/send-msg.md). */
describe('message look-ups', () => {
  it('reads a replied-to message: its relation and whether it is revoked; null for none', async () => {
    const t = dataAt(Date.now());
    const a = await t.account();
    const { relation } = await t.friendship(a, a);
    const live = await t.textMessage(relation, a, 'still here');
    const revoked = await t.textMessage(relation, a, 'taken back', { isRevoke: true });

    expect(await lookups.replyTarget(live.id)).toEqual({
      relationId: relation.id,
      isRevoke: false,
    });
    expect(await lookups.replyTarget(revoked.id)).toEqual({
      relationId: relation.id,
      isRevoke: true,
    });
    expect(await lookups.replyTarget(1)).toBeNull(); // 2024-01-01: no message has that id
  });

  it("reads the reader's cursor in a relation, 0 without a row", async () => {
    const t = dataAt(Date.now());
    const [a, b] = [await t.account(), await t.account()];
    const { relation } = await t.friendship(a, b);
    const message = await t.textMessage(relation, a, 'read me');
    await new ReadCursorRepository(db.em).advance([
      { accountId: b.id, relationId: relation.id, lastReadMsgId: message.id },
    ]);

    expect(await lookups.readCursor(b.id, relation.id)).toBe(message.id);
    expect(await lookups.readCursor(a.id, relation.id)).toBe(0);
  });

  it('finds the newest message of each key within the bound, and whether any send is that recent', async () => {
    const t = Date.now() + 10 * HOUR; // after every other message of the suite
    const [a, b] = [await dataAt(t).account(), await dataAt(t).account()];
    const { relation } = await dataAt(t).friendship(a, b);
    const send = (ms: number, sender: number, clientMsgId: string) =>
      dataAt(ms).textMessage(relation, sender, clientMsgId, { clientMsgId, indexed: false });
    await send(t - 5 * HOUR, a.id, 'k2');
    await send(t - 3 * HOUR, a.id, 'k,"1"');
    const newer = await send(t - 2 * HOUR, a.id, 'k,"1"');
    await send(t - 2 * HOUR - 1, b.id, 'k,"1"');
    const keys = [
      { accountId: a.id, clientMsgId: 'k,"1"' },
      { accountId: a.id, clientMsgId: 'k2' },
      { accountId: a.id, clientMsgId: 'never' },
    ];

    expect(await lookups.newestSends(keys, t - 4 * HOUR)).toEqual([
      {
        accountId: a.id,
        clientMsgId: 'k,"1"',
        msgId: newer.id,
        createAt: newer.createAt.toISOString(),
      },
    ]);
    expect(await lookups.newestSends(keys, t - 2 * HOUR + 1)).toEqual([]);
    expect(await lookups.newestSends([], t - 10 * HOUR)).toEqual([]);
    expect(await lookups.anySendSince(t - 2 * HOUR)).toBe(true);
    expect(await lookups.anySendSince(t - 2 * HOUR + 1)).toBe(false);
  });
});
