import { Message } from '../entities/message.entity';
import { Relation } from '../entities/relation.entity';
import type { Database } from '../open-database';
import { contentGrams } from '../search-grams';
import { openSuiteDatabase, TestData, type SuiteDatabase } from '../testing';
import { PgMessageQueryRepository } from './message-query.repository';
import { MessageSearchRepository, type SearchEntry } from './message-search.repository';

let suite: SuiteDatabase;
let db: Database;
let search: MessageSearchRepository;
let query: PgMessageQueryRepository;
const data = () => new TestData(db.em.fork());
const PAGE = { page: 1, pageSize: 20 };

/** A self conversation with its text messages stored but not indexed yet. */
async function unindexed(...contents: string[]) {
  const t = data();
  const a = await t.account();
  const { relation } = await t.friendship(a, a);
  const messages: Message[] = [];
  for (const content of contents) {
    messages.push(await t.textMessage(relation, a, content, { indexed: false }));
  }
  return { account: a.id, relation: relation.id, messages };
}

const entry = (m: Message): SearchEntry => ({
  messageId: m.id,
  relationId: m.relationId,
  grams: contentGrams(m.msgContent),
});

const found = async (caller: number, relationId: number, q: string) =>
  (await query.search(caller, relationId, q, PAGE))!.rows.map((r) => r.msgContent);

const indexedIds = async (relationId: number) =>
  (
    await db.em
      .fork()
      .execute<{ message_id: string }[]>(
        'SELECT message_id FROM message_search WHERE relation_id = ? ORDER BY message_id',
        [relationId],
      )
  ).map((r) => Number(r.message_id));

beforeAll(async () => {
  suite = await openSuiteDatabase('db_message_search');
  db = suite.db;
  search = new MessageSearchRepository(db.em);
  query = new PgMessageQueryRepository(db.em);
});

afterAll(async () => {
  await suite?.cleanup();
});

describe('MessageSearchRepository.index', () => {
  it('makes stored messages searchable only once they are indexed', async () => {
    const x = await unindexed('明天下午三点开会', '今天天气很好', 'Hello World');
    expect(await found(x.account, x.relation, '天')).toEqual([]);

    expect(await search.index(x.messages.map(entry))).toBe(3);
    expect(await found(x.account, x.relation, '天')).toEqual(['今天天气很好', '明天下午三点开会']);
    expect(await found(x.account, 0, 'hello world')).toEqual(['Hello World']);
    const [row] = await db.em
      .fork()
      .execute<{ relation_id: string; grams: string[] }[]>(
        'SELECT relation_id, grams FROM message_search WHERE message_id = ?',
        [x.messages[2].id],
      );
    expect(row).toEqual({ relation_id: String(x.relation), grams: contentGrams('Hello World') });
  });

  it('changes nothing when a batch is indexed again, or holds a message twice', async () => {
    const x = await unindexed('one', 'two');
    const batch = x.messages.map(entry);
    expect(await search.index([...batch, batch[0]])).toBe(2);
    // Indexed again with other grams: the first row stays.
    expect(await search.index(batch.map((e) => ({ ...e, grams: ['zz'] })))).toBe(0);
    expect(await indexedIds(x.relation)).toEqual(x.messages.map((m) => m.id));
    expect(await found(x.account, x.relation, 'two')).toEqual(['two']);
    expect(await found(x.account, x.relation, 'zz')).toEqual([]);
  });

  it('leaves out a message deleted before it was indexed without failing the others', async () => {
    const x = await unindexed('kept one', 'deleted', 'kept two');
    const gone = await unindexed('relation deleted');
    await db.em.fork().nativeDelete(Message, { id: x.messages[1].id });
    await db.em.fork().nativeDelete(Relation, { id: gone.relation });

    const batch = [...x.messages, ...gone.messages].map(entry);
    expect(await search.index(batch)).toBe(2);
    expect(await indexedIds(x.relation)).toEqual([x.messages[0].id, x.messages[2].id]);
    expect(await indexedIds(gone.relation)).toEqual([]);
    expect(await found(x.account, x.relation, 'kept')).toEqual(['kept two', 'kept one']);
  });

  it('goes with its message when the message is deleted', async () => {
    const x = await unindexed('short-lived');
    await search.index(x.messages.map(entry));
    await db.em.fork().nativeDelete(Message, { id: x.messages[0].id });
    expect(await indexedIds(x.relation)).toEqual([]);
  });

  it('does nothing for an empty batch', async () => {
    expect(await search.index([])).toBe(0);
  });
});

describe('MessageQueryRepository.search over message_search', () => {
  it("searches only the caller's relations, skips revoked messages, newest first, paged", async () => {
    const t = data();
    const [a, b, c] = [await t.account(), await t.account(), await t.account()];
    const ab = (await t.friendship(a, b)).relation;
    const bc = (await t.friendship(b, c)).relation;
    await t.textMessage(ab, a, 'apple pie');
    await t.textMessage(bc, c, 'apple tart');
    await t.textMessage(ab, b, 'an apple a day', { isRevoke: true });
    await t.textMessage(ab, b, 'green apple');

    expect(await found(a.id, 0, 'apple')).toEqual(['green apple', 'apple pie']);
    expect(await found(b.id, 0, 'apple')).toEqual(['green apple', 'apple tart', 'apple pie']);
    expect(await found(b.id, bc.id, 'APPLE')).toEqual(['apple tart']);
    const second = await query.search(b.id, 0, 'apple', { page: 2, pageSize: 2 });
    expect(second).toMatchObject({ total: 3, rows: [{ msgContent: 'apple pie' }] });
    expect(query.search(a.id, 0, ' \t', PAGE)).toBeNull();
  });
});
