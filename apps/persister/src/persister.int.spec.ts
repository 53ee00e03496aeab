import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Bus, BusRecord } from '@chat/bus';
import type { Config } from '@chat/config';
import {
  contentGrams,
  Message,
  MessageStoreRepository,
  PgMessageQueryRepository,
  ReadCursor,
  Relation,
  type Database,
  newMessageRow,
} from '@chat/db';
import { openMigratedDatabase, TestData } from '@chat/db/testing';
import { SnowflakeGenerator } from '@chat/ids';
import { createLogger } from '@chat/logger';
import {
  DEAD_LETTER_HEADERS,
  TOPICS,
  type MessageRecord,
  type ReadRecord,
  type StoredRecord,
} from '@chat/protocol';
import { messageRecord, publishStored, suiteBus, suiteConfig } from '@chat/bus/testing';
import { createSuiteContext, startApp, waitFor, type SuiteContext } from '@chat/testing';
import { toStoredRecord } from './messages/message-writer';
import { start, type RunningPersister } from './start';

const TOKEN_KEY = 'persister-test-key-0123456789-abcdefghij';

/**
 * Kills `pid` and every process below it at once, like a machine losing power. `startApp`
 * runs the app under tsx, which starts node as a child and cannot pass SIGKILL on, so
 * killing the wrapper alone would leave the app running.
 */
function killTree(pid: number): void {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // Already gone.
  }
  for (const child of children) killTree(child);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
const PARTITIONS = 2;

describe('persister', () => {
  const log = createLogger({ name: 'persister-test', level: 'warn' });
  const ids = new SnowflakeGenerator({ nodeId: 9 });
  let ctx: SuiteContext;
  let db: Database;
  let data: TestData;
  let config: Config;
  let bus: Bus;
  let persister: RunningPersister | undefined;
  const stored: StoredRecord[] = [];
  const deadLetters: BusRecord[] = [];
  /** The in-process persister's log lines (JSON), read back by the dead-letter tests. */
  const persisterLines: Record<string, unknown>[] = [];
  const persisterOutput = new PassThrough();
  persisterOutput.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim()) persisterLines.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  const persisterLog = createLogger({
    name: 'persister-test',
    level: 'info',
    destination: persisterOutput,
  });
  /** The in-process persister's /metrics (its ops server listens on a free port). */
  const scrapeMetrics = async () => {
    const listening = persisterLines.find((l) => l.msg === 'ops server listening');
    if (!listening) throw new Error('the persister logged no ops port');
    return (await fetch(`http://127.0.0.1:${String(listening.port)}/metrics`)).text();
  };
  /** `chat_dead_letter_records_total` by its labels, as the persister's /metrics shows it. */
  const deadLetterCounts = async () => {
    const counts: Record<string, number> = {};
    for (const line of (await scrapeMetrics()).split('\n')) {
      const m = /^chat_dead_letter_records_total\{(.*)\} (\d+)$/.exec(line);
      if (!m) continue;
      const labels = Object.fromEntries(
        [...m[1].matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]),
      );
      counts[`${labels.group} ${labels.topic} ${labels.reason} ${labels.sql_state}`] = Number(m[2]);
    }
    return counts;
  };
  const deadLetterOf = (id: number) =>
    deadLetters.find((r) => {
      try {
        return (JSON.parse(r.value.toString()) as { id?: unknown }).id === id;
      } catch {
        return false;
      }
    });

  const message = (
    relationId: number,
    accountId: number | null,
    content: string,
    more: Partial<MessageRecord> = {},
  ): MessageRecord => messageRecord(ids, relationId, accountId, { msg_content: content, ...more });
  /** Publishes records as the gateways do: keyed by relation, in array order per key. */
  const publish = (
    topic: string,
    records: (MessageRecord | ReadRecord | string)[],
    key?: (r: MessageRecord | ReadRecord) => string,
  ) =>
    bus.publishMany(
      records.map((r) => ({
        topic,
        key: typeof r === 'string' ? 'poison' : (key?.(r) ?? String(r.relation_id)),
        value: typeof r === 'string' ? r : JSON.stringify(r),
      })),
    );
  const rowsOf = (relationId: number) =>
    db.em.fork().find(Message, { relationId }, { orderBy: { seq: 'asc' } });
  const storedIds = () => new Set(stored.map((s) => s.message.id));
  const pair = async () => {
    const [a, b] = [await data.account(), await data.account()];
    const { relation } = await data.friendship(a, b);
    return { a: a.id, b: b.id, rel: relation.id };
  };
  const cursorOf = async (accountId: number, relationId: number) =>
    (await db.em.fork().findOne(ReadCursor, { accountId, relationId }))?.lastReadMsgId ?? 0;
  /** The grams the indexer wrote for a message; undefined while it has none. */
  const gramsOf = async (messageId: number) =>
    (
      await db.em
        .fork()
        .execute<{ grams: string[] }[]>('SELECT grams FROM message_search WHERE message_id = ?', [
          messageId,
        ])
    )[0]?.grams;
  const indexedCount = async (relationIds: number[]) =>
    Number(
      (
        await db.em
          .fork()
          .execute<{ n: string }[]>(
            'SELECT count(*) AS n FROM message_search WHERE relation_id = any(?::bigint[])',
            [`{${relationIds.join(',')}}`],
          )
      )[0].n,
    );
  const search = async (caller: number, relationId: number, q: string) =>
    (await new PgMessageQueryRepository(db.em).search(caller, relationId, q, {
      page: 1,
      pageSize: 20,
    }))!.rows.map((r) => r.msgContent);
  /**
   * Stores records as the persister does, without announcing them, and returns the
   * `chat.stored` records it would publish: the indexer's input, under the test's control.
   */
  const storeQuietly = async (records: MessageRecord[]): Promise<StoredRecord[]> => {
    const result = await new MessageStoreRepository(db.em).store(records.map(newMessageRow));
    const byId = new Map(records.map((m) => [m.id, m]));
    return result.stored.map((s) => toStoredRecord(byId.get(s.row.id)!, s));
  };
  const announce = (records: StoredRecord[]) => publishStored(bus, records);

  beforeAll(async () => {
    ctx = await createSuiteContext('persister');
    db = await openMigratedDatabase(ctx.databaseUrl);
    data = new TestData(db.em.fork());
    config = suiteConfig(
      ctx,
      {
        // A free port: other suites may run a persister on this machine at the same time.
        Server: { PersisterOpsPort: 0 },
        Token: { Key: TOKEN_KEY },
      },
      { partitions: PARTITIONS },
    );
    bus = suiteBus(ctx, 'persister-test', log, PARTITIONS);
    await bus.subscribe('test.stored', [TOPICS.stored], async (records) => {
      for (const r of records) {
        // The indexer's test puts an unreadable record on chat.stored: not one to collect.
        try {
          stored.push(JSON.parse(r.value.toString()) as StoredRecord);
        } catch {
          // skipped
        }
      }
    });
    await bus.subscribe('test.dead-letter', [TOPICS.deadLetter], async (records) => {
      deadLetters.push(...records);
    });
    persister = await start(config, persisterLog);
  });

  afterAll(async () => {
    await persister?.stop();
    await bus?.close();
    await db?.close();
    await ctx?.cleanup();
  });

  it('stores each message once, a reused client_msg_id too, and numbers every relation 1..n in publish order', async () => {
    const x = await pair();
    const y = await pair();
    const file = await data.file({ relationId: x.rel, accountId: x.b });
    const first = message(x.rel, x.a, 'Hello 世界');
    const reply = message(x.rel, x.b, 'a reply', { rly_msg_id: first.id });
    const original = message(y.rel, y.a, 'once', { client_msg_id: 'c-7' });
    // The gateway acked this one with its own id (a reuse after the dedup window).
    const resent = message(y.rel, y.a, 'again', { client_msg_id: 'c-7' });
    const fileMsg = message(x.rel, x.b, file.url, { msg_type: 'file', file_id: file.id });
    const system = message(y.rel, null, '成为好友');
    const last = message(x.rel, x.a, 'last one');
    const sent = [first, original, reply, first, resent, fileMsg, system, last, reply];
    await publish(TOPICS.messages, sent);

    const expected = [first, reply, fileMsg, last, original, resent, system].map((m) => m.id);
    await waitFor(() => expected.every((id) => storedIds().has(id)), {
      timeoutMs: 20_000,
      what: 'stored records',
    });

    const xRows = await rowsOf(x.rel);
    expect(xRows.map((m) => [m.id, m.seq])).toEqual([
      [first.id, 1],
      [reply.id, 2],
      [fileMsg.id, 3],
      [last.id, 4],
    ]);
    expect((await rowsOf(y.rel)).map((m) => [m.id, m.seq])).toEqual([
      [original.id, 1],
      [resent.id, 2],
      [system.id, 3],
    ]);
    expect(xRows[2]).toMatchObject({ msgType: 'file', fileId: file.id });
    // The indexer writes the grams of text messages a moment later; `last` comes after the
    // file message in their partition, so by then the file message was passed over.
    await waitFor(() => gramsOf(last.id), { what: 'the last message to be indexed' });
    expect(await gramsOf(first.id)).toEqual(contentGrams('Hello 世界'));
    expect(await gramsOf(fileMsg.id)).toBeUndefined();

    const byId = new Map(stored.map((s) => [s.message.id, s]));
    expect(byId.get(reply.id)).toMatchObject({
      seq: 2,
      message: { id: reply.id },
      rly_msg: {
        msg_id: first.id,
        msg_type: 'text',
        msg_content: 'Hello 世界',
        msg_extend: null,
        is_revoke: false,
      },
    });
    expect(byId.get(first.id)).toMatchObject({ seq: 1, rly_msg: null, message: first });
    expect(byId.get(resent.id)).toMatchObject({ seq: 2, message: { client_msg_id: 'c-7' } });
    expect(byId.get(system.id)).toMatchObject({ seq: 3, message: { account_id: null } });
    for (const s of stored) {
      const row = await db.em.fork().findOne(Message, { id: s.message.id });
      expect(row?.seq).toBe(s.seq);
    }
  });

  it('changes nothing when a batch is delivered again and announces it with the same numbers', async () => {
    const x = await pair();
    const batch = [message(x.rel, x.a, 'one'), message(x.rel, x.b, 'two')];
    await publish(TOPICS.messages, batch);
    await waitFor(() => batch.every((m) => storedIds().has(m.id)), { what: 'first delivery' });
    const before = stored.length;

    const next = message(x.rel, x.a, 'three');
    await publish(TOPICS.messages, [...batch, next]);
    await waitFor(() => storedIds().has(next.id), { what: 'the redelivered batch' });

    expect((await rowsOf(x.rel)).map((m) => [m.id, m.seq])).toEqual([
      [batch[0].id, 1],
      [batch[1].id, 2],
      [next.id, 3],
    ]);
    expect((await db.em.fork().findOneOrFail(Relation, { id: x.rel })).lastSeq).toBe(3);
    const again = stored.slice(before).map((s) => [s.message.id, s.seq]);
    expect(again).toEqual([
      [batch[0].id, 1],
      [batch[1].id, 2],
      [next.id, 3],
    ]);
  });

  it('sends unreadable records and messages of a deleted relation to chat.dead-letter without blocking the partition', async () => {
    const x = await pair();
    const gone = await pair();
    await db.em.fork().nativeDelete(Relation, { id: gone.rel });
    const before = message(x.rel, x.a, 'before');
    const lost = message(gone.rel, gone.a, 'nobody will see this');
    const after = message(x.rel, x.a, 'after');
    const sameKey = () => String(x.rel);
    await publish(TOPICS.messages, [before], sameKey);
    await bus.publish(TOPICS.messages, sameKey(), '{not json');
    await bus.publish(TOPICS.messages, sameKey(), JSON.stringify({ id: 'x' }));
    await publish(TOPICS.messages, [lost, after], sameKey);

    await waitFor(() => storedIds().has(after.id), { what: 'the record after the bad ones' });
    expect((await rowsOf(x.rel)).map((m) => [m.id, m.seq])).toEqual([
      [before.id, 1],
      [after.id, 2],
    ]);
    expect(await db.em.fork().findOne(Message, { id: lost.id })).toBeNull();
    expect(storedIds().has(lost.id)).toBe(false);
    // None of the three went silently: each is on the dead-letter topic, as it was sent.
    await waitFor(() => deadLetterOf(lost.id), { what: 'the refused record as a dead letter' });
    expect(deadLetterOf(lost.id)!.headers).toMatchObject({
      [DEAD_LETTER_HEADERS.reason]: 'refused',
      [DEAD_LETTER_HEADERS.sqlState]: '23503',
    });
    const values = deadLetters.map((r) => r.value.toString());
    expect(values).toEqual(expect.arrayContaining(['{not json', JSON.stringify({ id: 'x' })]));
  });

  it('sends every record it cannot store to chat.dead-letter, counts and logs it, and goes on', async () => {
    const x = await pair();
    const gone = await pair();
    await db.em.fork().nativeDelete(Relation, { id: gone.rel });
    const countsBefore = await deadLetterCounts();
    const first = message(x.rel, x.a, 'first');
    // What the edge refuses with 1001, published straight to the bus: the database refuses
    // the first two (a failed check, a relation gone); the persister reads the last two as
    // not storable (U+0000 is refused, a lone surrogate would be stored as U+FFFD).
    const tooLong = message(x.rel, x.a, '字'.repeat(1001));
    const ofGone = message(gone.rel, gone.a, 'to a deleted relation');
    const nul = message(x.rel, x.a, 'nul \u0000 inside');
    const surrogate = message(x.rel, x.b, 'lone \ud800 half');
    const last = message(x.rel, x.b, 'last');
    const sameKey = () => String(x.rel);
    await publish(TOPICS.messages, [first, tooLong, ofGone, nul, surrogate, last], sameKey);

    // The next records of the same partition are stored and announced as usual.
    await waitFor(() => storedIds().has(last.id), { what: 'the record after the refused ones' });
    expect((await rowsOf(x.rel)).map((m) => [m.id, m.seq])).toEqual([
      [first.id, 1],
      [last.id, 2],
    ]);
    const given = [tooLong, ofGone, nul, surrogate];
    await waitFor(() => given.every((m) => deadLetterOf(m.id)), { what: 'four dead letters' });
    for (const m of given) expect(storedIds().has(m.id)).toBe(false);

    // Each dead letter is the record as published (same key, same bytes), with its origin.
    const byId = (m: MessageRecord) => deadLetterOf(m.id)!;
    for (const m of given) {
      expect(byId(m).key).toBe(sameKey());
      expect(byId(m).value.toString()).toBe(JSON.stringify(m));
      expect(byId(m).headers).toMatchObject({
        [DEAD_LETTER_HEADERS.topic]: TOPICS.messages,
        [DEAD_LETTER_HEADERS.group]: 'persister',
      });
      expect(byId(m).headers[DEAD_LETTER_HEADERS.offset]).toMatch(/^\d+$/);
    }
    expect(byId(tooLong).headers).toMatchObject({
      [DEAD_LETTER_HEADERS.reason]: 'refused',
      [DEAD_LETTER_HEADERS.sqlState]: '23514',
    });
    expect(byId(tooLong).headers[DEAD_LETTER_HEADERS.detail]).toContain(
      'message_text_length_check',
    );
    expect(byId(ofGone).headers).toMatchObject({
      [DEAD_LETTER_HEADERS.reason]: 'refused',
      [DEAD_LETTER_HEADERS.sqlState]: '23503',
    });
    for (const m of [nul, surrogate]) {
      expect(byId(m).headers).toMatchObject({ [DEAD_LETTER_HEADERS.reason]: 'unreadable' });
      expect(byId(m).headers[DEAD_LETTER_HEADERS.detail]).toMatch(/^msg_content: /);
      expect(byId(m).headers[DEAD_LETTER_HEADERS.sqlState]).toBeUndefined();
    }

    // Counted on the persister's /metrics by reason and SQLSTATE …
    const counts = await deadLetterCounts();
    const grew = (labels: string) => (counts[labels] ?? 0) - (countsBefore[labels] ?? 0);
    expect(grew('persister chat.messages refused 23514')).toBe(1);
    expect(grew('persister chat.messages refused 23503')).toBe(1);
    expect(grew('persister chat.messages unreadable ')).toBe(2);
    // … and logged at error level with the record's key, position and SQLSTATE.
    const logged = (m: MessageRecord) =>
      persisterLines.find((l) => l.msgId === m.id && l.level === 50);
    expect(logged(tooLong)).toMatchObject({
      key: sameKey(),
      topic: TOPICS.messages,
      sqlState: '23514',
      reason: 'refused',
      relationId: x.rel,
      partition: expect.any(Number),
      offset: byId(tooLong).headers[DEAD_LETTER_HEADERS.offset],
    });
    expect(logged(ofGone)).toMatchObject({ key: sameKey(), sqlState: '23503' });
    const unreadableLines = persisterLines.filter(
      (l) =>
        l.level === 50 &&
        l.reason === 'unreadable' &&
        [nul, surrogate].some((m) => byId(m).headers[DEAD_LETTER_HEADERS.offset] === l.offset),
    );
    expect(unreadableLines).toHaveLength(2);
    expect(unreadableLines.every((l) => l.key === sameKey())).toBe(true);
    // The log names the record; it never carries the message's text.
    expect(JSON.stringify(persisterLines)).not.toContain('to a deleted relation');
  });

  it('sends an unreadable read record to chat.dead-letter and goes on', async () => {
    const x = await pair();
    const countsBefore = await deadLetterCounts();
    const read = (last: number, reader = x.a): ReadRecord => ({
      relation_id: x.rel,
      reader_id: reader,
      msg_ids: [last],
      last_read_msg_id: last,
      previous_read_msg_id: 0,
    });
    const unreadable = JSON.stringify({ ...read(5), msg_ids: [] });
    await publish(TOPICS.reads, [read(10)]);
    await bus.publish(TOPICS.reads, String(x.rel), unreadable);
    await publish(TOPICS.reads, [read(20, x.b)]);

    await waitFor(async () => (await cursorOf(x.b, x.rel)) === 20, { what: 'the read after' });
    expect(await cursorOf(x.a, x.rel)).toBe(10);
    await waitFor(() => deadLetters.find((r) => r.value.toString() === unreadable), {
      what: 'the unreadable read as a dead letter',
    });
    const letter = deadLetters.find((r) => r.value.toString() === unreadable)!;
    expect(letter.headers).toMatchObject({
      [DEAD_LETTER_HEADERS.topic]: TOPICS.reads,
      [DEAD_LETTER_HEADERS.reason]: 'unreadable',
    });
    const counts = await deadLetterCounts();
    const labels = 'persister chat.reads unreadable ';
    expect((counts[labels] ?? 0) - (countsBefore[labels] ?? 0)).toBe(1);
  });

  it('moves read cursors forward only: out-of-order and replayed records are harmless', async () => {
    const x = await pair();
    const outsider = await data.account();
    const read = (readerId: number, last: number): ReadRecord => ({
      relation_id: x.rel,
      reader_id: readerId,
      msg_ids: [last],
      last_read_msg_id: last,
      previous_read_msg_id: 0,
    });
    await publish(TOPICS.reads, [
      read(x.a, 300),
      read(x.a, 100),
      read(outsider.id, 500),
      read(x.b, 50),
      read(x.a, 200),
    ]);
    await waitFor(async () => (await cursorOf(x.b, x.rel)) === 50, { what: 'cursor of b' });
    expect(await cursorOf(x.a, x.rel)).toBe(300);
    expect(await cursorOf(outsider.id, x.rel)).toBe(0);

    await publish(TOPICS.reads, [read(x.a, 250), read(x.a, 300), read(x.b, 80)]);
    await waitFor(async () => (await cursorOf(x.b, x.rel)) === 80, { what: 'second batch' });
    expect(await cursorOf(x.a, x.rel)).toBe(300);
  });

  it('indexes stored text messages for search from chat.stored (group indexer)', async () => {
    const x = await pair();
    const file = await data.file({ relationId: x.rel, accountId: x.a });
    const records = [
      message(x.rel, x.a, '明天下午三点开会'),
      message(x.rel, x.b, file.url, { msg_type: 'file', file_id: file.id }),
      message(x.rel, x.b, '今天天气很好'),
    ];
    const announced = await storeQuietly(records);
    expect(await search(x.a, x.rel, '天')).toEqual([]);

    await announce(announced);
    await waitFor(async () => (await search(x.a, x.rel, '天')).length === 2 || undefined, {
      what: 'the stored messages to be searchable',
    });
    expect(await search(x.a, x.rel, '天')).toEqual(['今天天气很好', '明天下午三点开会']);
    expect(await search(x.b, 0, '天气')).toEqual(['今天天气很好']);
    expect(await gramsOf(records[1].id)).toBeUndefined();
  });

  it('changes nothing when stored records are delivered again', async () => {
    const x = await pair();
    const first = await storeQuietly([message(x.rel, x.a, 'one'), message(x.rel, x.b, 'two')]);
    await announce(first);
    await waitFor(() => gramsOf(first[1].message.id), { what: 'the first delivery' });

    // The same records again (a redelivery, or the persister announcing them twice), then
    // one more behind them in the same partition.
    const next = await storeQuietly([message(x.rel, x.a, 'three')]);
    await announce([...first, ...first, ...next]);
    await waitFor(() => gramsOf(next[0].message.id), { what: 'the record after the repeats' });
    expect(await indexedCount([x.rel])).toBe(3);
    expect(await gramsOf(first[0].message.id)).toEqual(contentGrams('one'));
    expect(await search(x.a, x.rel, 'o')).toEqual(['two', 'one']);
  });

  it('passes over a message deleted before it was indexed without blocking the partition', async () => {
    const x = await pair();
    const gone = await pair();
    const kept = await storeQuietly([message(x.rel, x.a, 'kept one')]);
    const deleted = await storeQuietly([message(x.rel, x.a, 'deleted')]);
    const ofGone = await storeQuietly([message(gone.rel, gone.a, 'relation deleted')]);
    const after = await storeQuietly([message(x.rel, x.b, 'kept two')]);
    await db.em.fork().nativeDelete(Message, { id: deleted[0].message.id });
    await db.em.fork().nativeDelete(Relation, { id: gone.rel });

    // One partition, one batch if the bus hands them over together.
    const records = [...kept, ...deleted, ...ofGone, ...after];
    await bus.publishMany(
      records.map((r) => ({ topic: TOPICS.stored, key: String(x.rel), value: JSON.stringify(r) })),
    );
    await bus.publish(TOPICS.stored, String(x.rel), '{not json');
    const last = await storeQuietly([message(x.rel, x.a, 'kept three')]);
    await announce(last);

    await waitFor(() => gramsOf(last[0].message.id), { what: 'the record after the deleted ones' });
    expect(await search(x.a, x.rel, 'kept')).toEqual(['kept three', 'kept two', 'kept one']);
    expect(await indexedCount([x.rel, gone.rel])).toBe(3);
    // The unreadable one is on the dead-letter topic, given up by the indexer.
    expect(
      deadLetters.find(
        (r) =>
          r.value.toString() === '{not json' &&
          r.headers[DEAD_LETTER_HEADERS.topic] === TOPICS.stored,
      )?.headers,
    ).toMatchObject({
      [DEAD_LETTER_HEADERS.group]: 'indexer',
      [DEAD_LETTER_HEADERS.reason]: 'unreadable',
    });
  });

  it('stores every message exactly once, gap-free, across a crash (SIGKILL) and a restart', async () => {
    await persister?.stop();
    persister = undefined;
    const env = {
      TOKEN_KEY,
      DATABASE_URL: ctx.databaseUrl,
      KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: ctx.topicPrefix,
      KAFKA_PARTITIONS: String(PARTITIONS),
      SERVER_PERSISTER_OPS_PORT: '0',
      LOG_LEVEL: 'info',
    };
    const relations = [await pair(), await pair(), await pair()];
    const sent: MessageRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      const p = relations[i % relations.length];
      sent.push(message(p.rel, i % 2 ? p.a : p.b, `message ${i}`));
    }
    const countStored = async () =>
      await db.em.fork().count(Message, { relationId: { $in: relations.map((r) => r.rel) } });

    let app = await startApp({ app: 'persister', env, readyText: '"persister started"' });
    try {
      // The first half streams in chunks so the kill lands while batches are in flight;
      // the second half is published while no persister runs.
      const chunks = Array.from({ length: 15 }, (_, i) => sent.slice(i * 100, i * 100 + 100));
      const streaming = (async () => {
        for (const chunk of chunks) await publish(TOPICS.messages, chunk);
      })();
      await waitFor(async () => (await countStored()) >= 300, {
        timeoutMs: 30_000,
        what: 'part of the stream to be stored',
      });
      killTree(app.pid);
      expect(await app.exited).toBe('SIGKILL');
      await streaming;
      await publish(TOPICS.messages, sent.slice(1500));

      app = await startApp({ app: 'persister', env, readyText: '"persister started"' });
      await waitFor(async () => (await countStored()) === sent.length, {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: 'every message to be stored after the restart',
      });
      await waitFor(() => sent.every((m) => storedIds().has(m.id)), {
        timeoutMs: 20_000,
        what: 'every stored record to be published',
      });
      // The indexer of the same process catches up too: every message indexed once.
      await waitFor(async () => (await indexedCount(relations.map((r) => r.rel))) === sent.length, {
        timeoutMs: 20_000,
        intervalMs: 250,
        what: 'every message to be indexed',
      });
      // SIGTERM: the batch in hand finishes and commits, then a clean exit.
      expect(await app.stop()).toBe(0);
    } finally {
      await app.stop();
    }

    for (const p of relations) {
      const rows = await rowsOf(p.rel);
      const inOrder = sent.filter((m) => m.relation_id === p.rel).map((m) => m.id);
      expect(rows.map((m) => m.id)).toEqual(inOrder);
      expect(rows.map((m) => m.seq)).toEqual(inOrder.map((_, i) => i + 1));
    }
    const seqOf = new Map(stored.map((s) => [s.message.id, s.seq]));
    for (const p of relations) {
      const rows = await rowsOf(p.rel);
      for (const row of rows) expect(seqOf.get(row.id)).toBe(row.seq);
    }
  }, 150_000);
});
