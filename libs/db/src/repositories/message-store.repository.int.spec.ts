import { SnowflakeGenerator } from '@chat/ids';
import { Message } from '../entities/message.entity';
import { ReadCursor } from '../entities/read-cursor.entity';
import { Relation } from '../entities/relation.entity';
import type { Database } from '../open-database';
import { openSuiteDatabase, TestData, textRows, type SuiteDatabase } from '../testing';
import { MessageStoreRepository } from './message-store.repository';
import { ReadCursorRepository } from './read-cursor.repository';
import { ReceiverRepository } from './receiver.repository';

let suite: SuiteDatabase;
let db: Database;
let store: MessageStoreRepository;
let cursors: ReadCursorRepository;
let receivers: ReceiverRepository;
const ids = new SnowflakeGenerator({ nodeId: 5 });
const data = () => new TestData(db.em.fork());

const text = textRows(ids);

const seqsOf = async (relationId: number) =>
  (await db.em.fork().find(Message, { relationId }, { orderBy: { seq: 'asc' } })).map((m) => [
    m.id,
    m.seq,
  ]);

const cursorOf = async (accountId: number, relationId: number) =>
  (await db.em.fork().findOne(ReadCursor, { accountId, relationId }))?.lastReadMsgId ?? 0;

const pair = async () => {
  const [a, b] = [await data().account(), await data().account()];
  const { relation } = await data().friendship(a, b);
  return { a: a.id, b: b.id, rel: relation.id };
};

beforeAll(async () => {
  suite = await openSuiteDatabase('db_message_store');
  db = suite.db;
  store = new MessageStoreRepository(db.em);
  cursors = new ReadCursorRepository(db.em);
  receivers = new ReceiverRepository(db.em);
});

afterAll(async () => {
  await suite?.cleanup();
});

describe('MessageStoreRepository.store', () => {
  it('inserts a batch and numbers each relation 1, 2, 3 in batch order', async () => {
    const x = await pair();
    const y = await pair();
    const batch = [
      text(x.rel, x.a, 'one'),
      text(y.rel, y.b, 'uno'),
      text(x.rel, x.b, 'two'),
      text(x.rel, x.a, 'three'),
      text(y.rel, y.a, 'dos'),
    ];
    const result = await store.store(batch);
    expect(result.stored.map((s) => [s.row.id, s.seq, s.inserted])).toEqual([
      [batch[0].id, 1, true],
      [batch[1].id, 1, true],
      [batch[2].id, 2, true],
      [batch[3].id, 3, true],
      [batch[4].id, 2, true],
    ]);
    expect(await seqsOf(x.rel)).toEqual([
      [batch[0].id, 1],
      [batch[2].id, 2],
      [batch[3].id, 3],
    ]);
    const relation = await db.em.fork().findOneOrFail(Relation, { id: x.rel });
    expect(relation.lastSeq).toBe(3);
  });

  it('changes nothing for a redelivered batch and reports the rows with their numbers', async () => {
    const x = await pair();
    const first = [text(x.rel, x.a, 'a'), text(x.rel, x.b, 'b')];
    await store.store(first);
    const next = text(x.rel, x.a, 'c');
    const again = await store.store([...first, next]);
    expect(again.stored.map((s) => [s.seq, s.inserted])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect((await seqsOf(x.rel)).map(([, seq]) => seq)).toEqual([1, 2, 3]);
  });

  it('stores every message of a reused client_msg_id: which sends are resends is the gateway’s call', async () => {
    const x = await pair();
    const earlier = text(x.rel, x.a, 'hello', { clientMsgId: 'c-1' });
    await store.store([earlier]);
    // A reuse after the dedup window, in a later batch and within one batch: each was acked
    // with its own id, so each is stored and numbered.
    const reuse = text(x.rel, x.a, 'hello again', { clientMsgId: 'c-1' });
    const again = text(x.rel, x.a, 'and again', { clientMsgId: 'c-1' });
    const other = text(x.rel, x.b, 'hi', { clientMsgId: 'c-1' });
    const result = await store.store([reuse, again, other]);
    expect(result.stored.map((s) => [s.row.id, s.seq, s.inserted])).toEqual([
      [reuse.id, 2, true],
      [again.id, 3, true],
      [other.id, 4, true],
    ]);
    expect(result.rejected).toEqual([]);
    expect((await seqsOf(x.rel)).map(([id]) => id)).toEqual([
      earlier.id,
      reuse.id,
      again.id,
      other.id,
    ]);
  });

  it('rejects rows of a relation that is gone and stores the rest of the batch in order', async () => {
    const x = await pair();
    const gone = await pair();
    await db.em.fork().nativeDelete(Relation, { id: gone.rel });
    const batch = [
      text(x.rel, x.a, '1'),
      text(gone.rel, gone.a, 'lost'),
      text(x.rel, x.a, '2'),
      text(x.rel, x.a, '3'),
      text(gone.rel, gone.b, 'lost too'),
    ];
    const result = await store.store(batch);
    expect(result.rejected.map((r) => r.item.id)).toEqual([batch[1].id, batch[4].id]);
    expect(result.rejected[0].reason).toMatch(
      /^23503 message_relation_id_fkey: Key \(relation_id\)/,
    );
    expect(result.stored.map((s) => [s.row.id, s.seq])).toEqual([
      [batch[0].id, 1],
      [batch[2].id, 2],
      [batch[3].id, 3],
    ]);
  });

  it('keeps content with quotes, backslashes, braces and the word NULL intact, and leaves the grams to the indexer', async () => {
    const x = await pair();
    const content = 'NULL "q" \\ {a,b} \'s 你好';
    const row = text(x.rel, x.a, content, {
      clientMsgId: 'NULL',
      msgExtend: { remind: [{ idx: 1, account_id: x.b }] },
    });
    await store.store([row]);
    const saved = await db.em.fork().findOneOrFail(Message, { id: row.id });
    expect(saved.msgContent).toBe(content);
    expect(
      await db.em.fork().execute('SELECT 1 FROM message_search WHERE message_id = ?', [row.id]),
    ).toEqual([]);
    expect(saved.clientMsgId).toBe('NULL');
    expect(saved.msgExtend).toEqual({ remind: [{ idx: 1, account_id: x.b }] });
  });

  it('returns the replied-to message of the same relation, also when it is in the same batch', async () => {
    const x = await pair();
    const y = await pair();
    const elsewhere = text(y.rel, y.a, 'other relation');
    await store.store([elsewhere]);
    const target = text(x.rel, x.a, 'question');
    const reply = text(x.rel, x.b, 'answer', { rlyMsgId: target.id });
    const wrong = text(x.rel, x.b, 'bad reply', { rlyMsgId: elsewhere.id });
    const result = await store.store([target, reply, wrong]);
    expect(result.stored[1].rly).toEqual({
      id: target.id,
      msgType: 'text',
      msgContent: 'question',
      msgExtend: null,
      isRevoke: false,
    });
    expect(result.stored[2].rly).toBeNull();
  });
});

describe('ReadCursorRepository.advance', () => {
  it('moves cursors forward only, collapsing a batch to its largest id', async () => {
    const x = await pair();
    const first = await cursors.advance([
      { accountId: x.a, relationId: x.rel, lastReadMsgId: 50 },
      { accountId: x.a, relationId: x.rel, lastReadMsgId: 70 },
      { accountId: x.a, relationId: x.rel, lastReadMsgId: 60 },
    ]);
    expect(first.moved).toEqual([{ accountId: x.a, relationId: x.rel, lastReadMsgId: 70 }]);
    const replay = await cursors.advance([
      { accountId: x.a, relationId: x.rel, lastReadMsgId: 40 },
      { accountId: x.a, relationId: x.rel, lastReadMsgId: 70 },
    ]);
    expect(replay.moved).toEqual([]);
    expect(await cursorOf(x.a, x.rel)).toBe(70);
  });

  it('skips a reader that is no longer a member without failing the others', async () => {
    const x = await pair();
    const outsider = await data().account();
    const result = await cursors.advance([
      { accountId: outsider.id, relationId: x.rel, lastReadMsgId: 10 },
      { accountId: x.b, relationId: x.rel, lastReadMsgId: 10 },
    ]);
    expect(result.moved).toEqual([{ accountId: x.b, relationId: x.rel, lastReadMsgId: 10 }]);
    expect(result.rejected).toEqual([]);
    expect(await cursorOf(outsider.id, x.rel)).toBe(0);
  });
});

describe('ReceiverRepository', () => {
  it('lists the members of several relations at once', async () => {
    const x = await pair();
    const members = await receivers.membersOf([x.rel, 9_999_999]);
    expect(members.get(x.rel)).toEqual([x.a, x.b].sort((p, q) => p - q));
    expect(members.get(9_999_999)).toEqual([]);
  });

  it('finds the other senders of messages in a read range, keeping the most recent ids of each', async () => {
    const [leader, m1, m2] = [
      await data().account(),
      await data().account(),
      await data().account(),
    ];
    const { relation } = await data().group(leader, [m1, m2]);
    const batch = [
      text(relation.id, m1.id, 'old'),
      text(relation.id, m1.id, 'a'),
      text(relation.id, leader.id, 'mine'),
      text(relation.id, m2.id, 'b'),
      text(relation.id, m1.id, 'c'),
      text(relation.id, m1.id, 'd'),
    ];
    await store.store(batch);
    const [found, none] = await receivers.newlyReadBySender(
      [
        { relationId: relation.id, readerId: leader.id, fromId: batch[0].id, toId: batch[5].id },
        { relationId: relation.id, readerId: leader.id, fromId: batch[5].id, toId: batch[5].id },
      ],
      2,
    );
    expect(found).toEqual(
      [
        { accountId: m1.id, msgIds: [batch[4].id, batch[5].id] },
        { accountId: m2.id, msgIds: [batch[3].id] },
      ].sort((p, q) => p.accountId - q.accountId),
    );
    expect(none).toEqual([]);
  });
});
