import { PassThrough } from 'node:stream';
import type { Bus, BusRecord } from '@chat/bus';
import { createCacheAdapters, type CacheAdapters } from '@chat/cache';
import type { Database } from '@chat/db';
import { openMigratedDatabase, TestData } from '@chat/db/testing';
import { SnowflakeGenerator } from '@chat/ids';
import { createLogger } from '@chat/logger';
import {
  DEAD_LETTER_HEADERS,
  TOPICS,
  pushTopic,
  type ChatEvent,
  type DeliveryRecord,
  type MessageRecord,
  type ReadRecord,
  type StoredRecord,
} from '@chat/protocol';
import { messageRecord, suiteBus, suiteConfig } from '@chat/bus/testing';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import { start, type RunningNotifier } from './start';

const TOKEN_KEY = 'notifier-test-key-0123456789-abcdefghij';
const NODE_A = 'gwA';
const NODE_B = 'gwB';

interface Seen {
  node: string;
  key: string;
  record: DeliveryRecord;
}

describe('notifier', () => {
  /** Warnings and errors of the notifier, read back by the dead-letter test. */
  const logLines: Record<string, unknown>[] = [];
  const logOut = new PassThrough();
  logOut.on('data', (d: Buffer) => {
    for (const l of d.toString().trim().split('\n')) logLines.push(JSON.parse(l));
  });
  const log = createLogger({ name: 'notifier-test', level: 'warn', destination: logOut });
  const deadLetters: BusRecord[] = [];
  const ids = new SnowflakeGenerator({ nodeId: 11 });
  let ctx: SuiteContext;
  let db: Database;
  let data: TestData;
  let bus: Bus;
  let cache: CacheAdapters;
  let notifier: RunningNotifier;
  const seen: Seen[] = [];

  /** An account online with the given connections, `[connId, nodeId]` each. */
  const account = async (...conns: [string, string][]) => {
    const { id } = await data.account();
    for (const [conn, node] of conns) await cache.presence.add(id, `${conn}-${id}`, node);
    return id;
  };
  const conn = (name: string, accountId: number) => `${name}-${accountId}`;
  const stored = (
    relationId: number,
    accountId: number | null,
    seq: number,
    more: Partial<MessageRecord> = {},
    rly: StoredRecord['rly_msg'] = null,
  ): StoredRecord => ({
    message: messageRecord(ids, relationId, accountId, {
      rly_msg_id: rly?.msg_id ?? null,
      ...more,
    }),
    seq,
    rly_msg: rly,
  });
  const publish = (topic: string, key: string, values: unknown[]) =>
    bus.publishMany(values.map((v) => ({ topic, key, value: JSON.stringify(v) })));
  const sendMsgOf = (msgId: number) =>
    seen.filter(
      (s) =>
        s.record.frame.event === 'send_msg' &&
        (s.record.frame.data as { msg_info: { id: number } }).msg_info.id === msgId,
    );
  /** The delivery records of a push, as `{ node: accounts }`. */
  const byNode = (records: Seen[]) =>
    Object.fromEntries(records.map((s) => [s.node, [...s.record.accounts].sort((p, q) => p - q)]));
  const sorted = (...values: number[]) => values.sort((p, q) => p - q);
  /** A delivery record without its source (which record it was planned from). */
  const bare = ({ source: _source, ...rest }: DeliveryRecord) => rest;

  beforeAll(async () => {
    ctx = await createSuiteContext('notifier');
    db = await openMigratedDatabase(ctx.databaseUrl);
    data = new TestData(db.em.fork());
    cache = createCacheAdapters({ kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix }, log);
    await cache.presence.heartbeat(NODE_A, 600_000);
    await cache.presence.heartbeat(NODE_B, 600_000);
    bus = suiteBus(ctx, 'notifier-test', log);
    await bus.subscribe('test.push', [pushTopic(NODE_A), pushTopic(NODE_B)], async (records) => {
      for (const r of records) {
        seen.push({
          node: r.topic.slice('push.'.length),
          key: r.key,
          record: JSON.parse(r.value.toString()) as DeliveryRecord,
        });
      }
    });
    await bus.subscribe('test.dead-letter', [TOPICS.deadLetter], async (records) => {
      deadLetters.push(...records);
    });
    const config = suiteConfig(ctx, { Token: { Key: TOKEN_KEY } });
    notifier = await start(config, log);
  });

  afterAll(async () => {
    await notifier?.stop();
    await bus?.close();
    await cache?.close();
    await db?.close();
    await ctx?.cleanup();
  });

  it('pushes a stored message to every online member, per node, except the sending connection', async () => {
    const sender = await account(['a1', NODE_A], ['a2', NODE_B]);
    const onB = await account(['b1', NODE_B]);
    const offline = await account();
    const onA = await account(['d1', NODE_A]);
    const outsider = await account(['o1', NODE_A]);
    const { relation } = await data.group(sender, [onB, offline, onA]);
    const question = {
      msg_id: 42,
      msg_type: 'text' as const,
      msg_content: 'q',
      msg_extend: null,
      is_revoke: false,
    };
    const record = stored(
      relation.id,
      sender,
      1,
      { origin: { node: NODE_A, conn: conn('a1', sender) } },
      question,
    );
    await publish(TOPICS.stored, String(relation.id), [record]);

    await waitFor(() => sendMsgOf(record.message.id).length === 2, { what: 'two deliveries' });
    const deliveries = sendMsgOf(record.message.id);
    expect(byNode(deliveries)).toEqual({ [NODE_A]: [onA], [NODE_B]: sorted(sender, onB) });
    for (const d of deliveries) {
      expect(d.key).toBe(String(relation.id));
      expect(d.record.exclude_conn).toBe(conn('a1', sender));
      expect(d.record.frame.data).toEqual({
        msg_info: expect.objectContaining({
          id: record.message.id,
          relation_id: relation.id,
          account_id: sender,
          seq: 1,
          read_ids: [],
          reply_count: 0,
          rly_msg: question,
        }),
      });
    }
    expect(deliveries.flatMap((d) => d.record.accounts)).not.toContain(offline);
    expect(deliveries.flatMap((d) => d.record.accounts)).not.toContain(outsider);
  });

  it('sends the mentioned members their own copy, with mentioned_me true', async () => {
    const sender = await account(['m1', NODE_A]);
    const named = await account(['n1', NODE_A], ['n2', NODE_B]);
    const other = await account(['x1', NODE_B]);
    const { relation } = await data.group(sender, [named, other]);
    const record: StoredRecord = {
      ...stored(relation.id, sender, 1, {
        msg_extend: { remind: [{ idx: 1, account_id: named }] },
        origin: { node: NODE_A, conn: conn('m1', sender) },
      }),
      mentions: [named],
    };
    await publish(TOPICS.stored, String(relation.id), [record]);

    await waitFor(() => sendMsgOf(record.message.id).length === 3, { what: 'three deliveries' });
    const flagOf = (d: Seen) =>
      (d.record.frame.data as { msg_info: { mentioned_me: boolean } }).msg_info.mentioned_me;
    const deliveries = sendMsgOf(record.message.id);
    const mentioned = deliveries.filter(flagOf);
    const rest = deliveries.filter((d) => !flagOf(d));
    expect(byNode(mentioned)).toEqual({ [NODE_A]: [named], [NODE_B]: [named] });
    // The sender's one connection sent it: nothing goes to node A for the rest.
    expect(byNode(rest)).toEqual({ [NODE_B]: [other] });
    for (const d of deliveries) expect(d.record.exclude_conn).toBe(conn('m1', sender));
  });

  it('sends records it cannot read to chat.dead-letter, logs them, and routes the rest', async () => {
    const sender = await account(['s1', NODE_A]);
    const peer = await account(['p1', NODE_B]);
    const { relation } = await data.friendship(sender, peer);
    const good = stored(relation.id, sender, 1);
    const key = String(relation.id);
    await bus.publish(TOPICS.stored, key, '{not json');
    await bus.publish(TOPICS.events, key, JSON.stringify({ id: 'no such event shape' }));
    await publish(TOPICS.stored, key, [good]);

    await waitFor(() => sendMsgOf(good.message.id).length > 0, { what: 'the good record pushed' });
    await waitFor(() => deadLetters.length >= 2, { what: 'two dead letters' });
    const byValue = new Map(deadLetters.map((r) => [r.value.toString(), r]));
    for (const value of ['{not json', JSON.stringify({ id: 'no such event shape' })]) {
      expect(byValue.get(value)?.key).toBe(key);
      expect(byValue.get(value)?.headers).toMatchObject({
        [DEAD_LETTER_HEADERS.group]: 'notifier',
        [DEAD_LETTER_HEADERS.reason]: 'unreadable',
      });
    }
    const logged = logLines.filter(
      (l) => l.msg === 'unreadable record, sent to the dead-letter topic',
    );
    expect(logged.map((l) => l.level)).toEqual([50, 50]);
  });

  it('pushes a stored message announced again only once', async () => {
    const a = await account(['a1', NODE_A]);
    const b = await account(['b1', NODE_B]);
    const { relation } = await data.friendship(a, b);
    const first = stored(relation.id, a, 1);
    const second = stored(relation.id, null, 2, { notify_type: 'system', msg_content: '成为好友' });
    const key = String(relation.id);
    await publish(TOPICS.stored, key, [first]);
    await waitFor(() => sendMsgOf(first.message.id).length === 2, { what: 'first push' });

    // A persister redelivery publishes the first again before the next message.
    await publish(TOPICS.stored, key, [first, second]);
    await waitFor(() => sendMsgOf(second.message.id).length === 2, { what: 'second push' });
    expect(sendMsgOf(first.message.id)).toHaveLength(2);
    const system = sendMsgOf(second.message.id)[0].record;
    expect(system.exclude_conn).toBeUndefined();
    expect(system.frame.data).toMatchObject({ msg_info: { account_id: 0, notify_type: 'system' } });
  });

  describe('read receipts', () => {
    const readMsgs = () => seen.filter((s) => s.record.frame.event === 'read_msg');
    const readsFor = (relationId: number, accountId: number) =>
      readMsgs().filter(
        (s) =>
          s.record.accounts.includes(accountId) &&
          (s.record.frame.data as { relation_id: number }).relation_id === relationId,
      );

    it("tells each sender of newly read messages, and the reader's other connections", async () => {
      const leader = await account(['l1', NODE_A]);
      const m1 = await account(['m1', NODE_A]);
      const m2 = await account(['m2', NODE_B]);
      const reader = await account(['r1', NODE_A], ['r2', NODE_B]);
      const { relation } = await data.group(leader, [m1, m2, reader]);
      const x1 = await data.textMessage(relation, m1, 'x1');
      const y1 = await data.textMessage(relation, m2, 'y1');
      const own = await data.textMessage(relation, reader, 'mine');
      const x2 = await data.textMessage(relation, m1, 'x2');
      const read: ReadRecord = {
        relation_id: relation.id,
        reader_id: reader,
        msg_ids: [x2.id, y1.id],
        last_read_msg_id: x2.id,
        previous_read_msg_id: 0,
        origin: { node: NODE_A, conn: conn('r1', reader) },
      };
      await publish(TOPICS.reads, String(relation.id), [read]);

      await waitFor(() => readsFor(relation.id, reader).length === 1, { what: 'reader sync' });
      await waitFor(() => readsFor(relation.id, m2).length === 1, { what: 'receipt to m2' });
      const data1 = { relation_id: relation.id, reader_id: reader, last_read_msg_id: x2.id };
      expect(readsFor(relation.id, m1).map((s) => [s.node, bare(s.record)])).toEqual([
        [
          NODE_A,
          {
            accounts: [m1],
            frame: { event: 'read_msg', data: { ...data1, msg_ids: [x1.id, x2.id] } },
          },
        ],
      ]);
      expect(readsFor(relation.id, m2).map((s) => [s.node, bare(s.record)])).toEqual([
        [
          NODE_B,
          { accounts: [m2], frame: { event: 'read_msg', data: { ...data1, msg_ids: [y1.id] } } },
        ],
      ]);
      // Only node B: the reader's one connection on node A is the one that asked.
      expect(readsFor(relation.id, reader).map((s) => [s.node, bare(s.record)])).toEqual([
        [
          NODE_B,
          {
            accounts: [reader],
            exclude_conn: conn('r1', reader),
            frame: { event: 'read_msg', data: { ...data1, msg_ids: [x2.id, y1.id] } },
          },
        ],
      ]);
      expect(readsFor(relation.id, leader)).toEqual([]);
      // All three planned from the one read record, numbered in the order they were planned.
      const sources = [m1, m2, reader].map((a) => readsFor(relation.id, a)[0].record.source);
      // `<topic>/<partition>/<offset>/<push>`: one record, pushes 0, 1 and 2.
      const parts = sources.map((src) => /^(.+)\/(\d+)$/.exec(src ?? '') ?? []);
      expect(new Set(parts.map((m) => m[1])).size).toBe(1);
      expect(parts.map((m) => m[2]).sort()).toEqual(['0', '1', '2']);
      expect(parts[0][1]).toMatch(new RegExp(`^${TOPICS.reads}/\\d+/\\d+$`));
      const announced = readMsgs().flatMap(
        (s) => (s.record.frame.data as { msg_ids: number[] }).msg_ids,
      );
      expect(announced).not.toContain(own.id);

      // Replayed, then a move whose gateway saw a stale cursor: only x3 is new.
      const x3 = await data.textMessage(relation, m1, 'x3');
      await publish(TOPICS.reads, String(relation.id), [
        read,
        { ...read, msg_ids: [x3.id], last_read_msg_id: x3.id, previous_read_msg_id: 0 },
      ]);
      await waitFor(() => readsFor(relation.id, m1).length === 2, { what: 'second receipt' });
      expect(
        (readsFor(relation.id, m1)[1].record.frame.data as { msg_ids: number[] }).msg_ids,
      ).toEqual([x3.id]);
      await waitFor(() => readsFor(relation.id, reader).length === 2, { what: 'second sync' });
      expect(readsFor(relation.id, m2)).toHaveLength(1);
    });

    it('announces nothing for a reader that is no longer a member', async () => {
      const a = await account(['a1', NODE_A]);
      const b = await account(['b1', NODE_B]);
      const gone = await account(['g1', NODE_A], ['g2', NODE_B]);
      const { relation } = await data.group(a, [b]);
      const msg = await data.textMessage(relation, a, 'hello');
      const read = (readerId: number): ReadRecord => ({
        relation_id: relation.id,
        reader_id: readerId,
        msg_ids: [msg.id],
        last_read_msg_id: msg.id,
        previous_read_msg_id: 0,
        origin: { node: NODE_A, conn: conn('x', readerId) },
      });
      await publish(TOPICS.reads, String(relation.id), [read(gone), read(b)]);
      await waitFor(() => readsFor(relation.id, a).length === 1, { what: 'receipt of b' });
      expect(
        (readsFor(relation.id, a)[0].record.frame.data as { reader_id: number }).reader_id,
      ).toBe(b);
      expect(readsFor(relation.id, gone)).toEqual([]);
    });
  });

  describe('chat events', () => {
    const eventOf = (id: string): ChatEvent => ({ id, at: new Date().toISOString() });

    it('pushes an event to its online accounts once, with no connection excluded', async () => {
      const a = await account(['a1', NODE_A], ['a2', NODE_B]);
      const offline = await account();
      const d = await account(['d1', NODE_A]);
      const event: ChatEvent = {
        ...eventOf(`evt-${a}`),
        push: { event: 'group_dissolved', data: { relation_id: 77 }, to: [a, offline, d] },
      };
      const marker: ChatEvent = {
        ...eventOf(`marker-${a}`),
        push: { event: 'update_nickname', data: { relation_id: 77, nick_name: 'n' }, to: [a] },
      };
      await publish(TOPICS.events, 'relation:77', [event, event, marker]);
      const of = (name: string) =>
        seen.filter((s) => s.record.frame.event === name && s.record.accounts.includes(a));
      await waitFor(() => of('update_nickname').length === 2, { what: 'the marker event' });
      const dissolved = seen.filter((s) => s.record.frame.event === 'group_dissolved');
      expect(byNode(dissolved)).toEqual({ [NODE_A]: sorted(a, d), [NODE_B]: [a] });
      expect(dissolved).toHaveLength(2);
      for (const s of dissolved) {
        expect(s.key).toBe('relation:77');
        expect(s.record.exclude_conn).toBeUndefined();
        expect(s.record.frame.data).toEqual({ relation_id: 77 });
      }
    });

    it('leaves the push to accounts whose sessions the same event ends to the gateways', async () => {
      const ended = await account(['e1', NODE_A]);
      const other = await account(['o1', NODE_B]);
      const key = `user:${ended}`;
      const event: ChatEvent = {
        ...eventOf(`ended-${ended}`),
        push: { event: 'update_email', data: { email: 'x@example.com' }, to: [ended, other] },
        effects: { tokensRevoked: [{ accountId: ended, epoch: 2 }] },
      };
      // Same key, so once the marker is delivered the event before it was planned.
      const marker: ChatEvent = {
        ...eventOf(`ended-marker-${ended}`),
        push: { event: 'update_nickname', data: { relation_id: 1, nick_name: 'n' }, to: [ended] },
      };
      await publish(TOPICS.events, key, [event, marker]);
      const of = (name: string) => seen.filter((s) => s.record.frame.event === name);
      await waitFor(() => of('update_nickname').some((s) => s.record.accounts.includes(ended)), {
        what: 'the marker event',
      });
      const emails = of('update_email').filter(
        (s) => s.record.accounts.includes(ended) || s.record.accounts.includes(other),
      );
      expect(emails.map((s) => s.record.accounts)).toEqual([[other]]);
    });

    it('closes the connections of deleted accounts with 4403', async () => {
      const deleted = await account(['z1', NODE_A], ['z2', NODE_B]);
      const bystander = await account(['y1', NODE_A]);
      await publish(TOPICS.events, `account:${deleted}`, [
        {
          ...eventOf(`del-${deleted}`),
          effects: { accountsDeleted: [deleted], membershipChanged: [1] },
        },
      ]);
      const closes = () =>
        seen.filter((s) => s.record.close && s.record.accounts.includes(deleted));
      await waitFor(() => closes().length === 2, { what: 'close records' });
      for (const s of closes()) {
        expect(bare(s.record)).toEqual({
          accounts: [deleted],
          frame: { event: 'error', data: { status_code: 2010, status_msg: 'account deleted' } },
          close: { code: 4403, reason: 'account deleted' },
        });
      }
      expect(seen.filter((s) => s.record.accounts.includes(bystander))).toEqual([]);
    });
  });
});
