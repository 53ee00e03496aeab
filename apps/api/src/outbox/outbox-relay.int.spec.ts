import { KafkaBus, type BusRecord, type KafkaBusConfig, type Subscription } from '@chat/bus';
import { createCacheAdapters, type CacheAdapters } from '@chat/cache';
import { OutboxRepository, type Database } from '@chat/db';
import { openMigratedDatabase } from '@chat/db/testing';
import type { ChatEventDraft } from '@chat/domain';
import { createLogger } from '@chat/logger';
import { TOPICS, type ChatEvent, type MessageRecord } from '@chat/protocol';
import { createMetricsRegistry, type Registry } from '@chat/runtime';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import { registerOutboxBacklog } from './outbox-metrics';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
import { OutboxUnitOfWork } from './outbox-unit-of-work';

const log = createLogger({ name: 'outbox-test', level: process.env.LOG_LEVEL ?? 'silent' });

/**
 * The api's outbox against real services: Postgres holds the outbox, Kafka takes what the
 * relay publishes, Redis holds the shared membership cache (docs/architecture.md, guarantees:
 * events after commit, through an outbox).
 */
describe('outbox relay and unit of work', () => {
  let ctx: SuiteContext;
  let db: Database;
  let bus: KafkaBus;
  let cache: CacheAdapters;
  let outbox: OutboxRepository;
  let subscription: Subscription;
  const seen: BusRecord[] = [];
  const running: OutboxRelay[] = [];
  let n = 0;

  const kafka = (brokers: string[], retries?: number): KafkaBusConfig => ({
    brokers,
    clientId: 'outbox-test',
    topicPrefix: ctx.topicPrefix,
    groupPrefix: ctx.groupPrefix,
    partitions: 3,
    replicationFactor: 1,
    retries,
    consumer: {
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 6000,
      heartbeatIntervalMs: 100,
      maxWaitTimeMs: 100,
    },
  });

  beforeAll(async () => {
    ctx = await createSuiteContext('api_outbox');
    db = await openMigratedDatabase(ctx.databaseUrl);
    bus = new KafkaBus(kafka(ctx.kafkaBrokers), log);
    cache = createCacheAdapters({ kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix }, log);
    outbox = new OutboxRepository(db.em);
    await bus.ensureTopics([TOPICS.events, TOPICS.messages]);
    subscription = await bus.subscribe(
      'outbox-test',
      [TOPICS.events, TOPICS.messages],
      async (records) => void seen.push(...records),
    );
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await subscription?.stop();
    await bus?.close();
    await cache?.close();
    await db?.close();
    await ctx?.cleanup();
  });

  function relay(options: Partial<OutboxRelayOptions> = {}): OutboxRelay {
    const r = new OutboxRelay({
      outbox,
      bus,
      exclusive: true,
      batchSize: 100,
      pollMs: 100,
      retryDelayMs: 50,
      hold: false,
      log,
      ...options,
    });
    r.start();
    running.push(r);
    return r;
  }

  function unitOfWork(r: OutboxRelay, publishWaitMs = 5000): OutboxUnitOfWork {
    return new OutboxUnitOfWork({
      db,
      outbox,
      relay: r,
      membership: cache.membership({ ttlMs: 60_000 }),
      publishWaitMs,
      log,
    });
  }

  const event = (key: string, text: string, effects?: ChatEvent['effects']): ChatEventDraft => ({
    key,
    push: { event: 'update_nickname', data: { text }, to: [1] },
    ...(effects ? { effects } : {}),
  });

  const systemMessage = (relationId: number, id: number): MessageRecord => ({
    id,
    relation_id: relationId,
    notify_type: 'system',
    msg_type: 'text',
    msg_content: '成为好友',
    msg_extend: null,
    file_id: null,
    account_id: null,
    rly_msg_id: null,
    client_msg_id: null,
    create_at: new Date().toISOString(),
  });

  const texts = (key: string) =>
    seen
      .filter((r) => r.topic === TOPICS.events && r.key === key)
      .map((r) => (JSON.parse(r.value.toString()) as ChatEvent).push!.data as { text: string })
      .map((d) => d.text);

  const uniqueKey = () => `relation:${process.pid}${++n}`;

  it('publishes what a unit of work committed, stamped once, and empties the outbox', async () => {
    const key = uniqueKey();
    const work = unitOfWork(relay());
    const answer = await work.run(async (box) => {
      box.message(systemMessage(4242, 7_000_000_001));
      box.events([event(key, 'first'), event(key, 'second')]);
      return 'done';
    });
    expect(answer).toBe('done');
    // The call waited for the relay: the records are on the bus, the outbox is empty.
    expect(await outbox.backlog()).toEqual({ rows: 0, oldestAgeMs: 0 });
    await waitFor(() => texts(key).length === 2, { what: 'both events on chat.events' });
    expect(texts(key)).toEqual(['first', 'second']);
    const [first] = seen.filter((r) => r.key === key);
    const stamped = JSON.parse(first.value.toString()) as ChatEvent;
    expect(stamped.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(stamped.at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const message = await waitFor(
      () => seen.find((r) => r.topic === TOPICS.messages && r.key === '4242'),
      { what: 'the system message on chat.messages' },
    );
    expect(JSON.parse(message.value.toString())).toMatchObject({
      id: 7_000_000_001,
      relation_id: 4242,
      msg_content: '成为好友',
    });
  });

  it('publishes nothing of a unit of work that throws', async () => {
    const key = uniqueKey();
    const work = unitOfWork(relay());
    await expect(
      work.run(async (box) => {
        box.events([event(key, 'rolled back')]);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect((await outbox.backlog()).rows).toBe(0);
    // Same key, same partition: had the first been published, it would arrive first.
    await work.run(async (box) => box.events([event(key, 'committed')]));
    await waitFor(() => texts(key).length > 0, { what: 'the committed event' });
    expect(texts(key)).toEqual(['committed']);
  });

  it('keeps the records of an api whose relay is held, for the next relay to publish', async () => {
    const key = uniqueKey();
    const metrics: Registry = createMetricsRegistry('api');
    registerOutboxBacklog(metrics, outbox);
    const held = relay({ hold: true });
    const started = Date.now();
    await unitOfWork(held).run(async (box) => box.events([event(key, 'a'), event(key, 'b')]));
    // A held relay is not waited for.
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await outbox.backlog()).rows).toBe(2);
    const text = await metrics.metrics();
    expect(text).toMatch(/^chat_outbox_records\{app="api"\} 2$/m);
    expect(text).toMatch(/^chat_outbox_oldest_record_age_seconds\{app="api"\} \d/m);

    relay();
    await waitFor(() => texts(key).length === 2, { what: 'the held records, published' });
    expect(texts(key)).toEqual(['a', 'b']);
    await waitFor(async () => (await outbox.backlog()).rows === 0, { what: 'an empty outbox' });
    expect(await metrics.metrics()).toMatch(/^chat_outbox_records\{app="api"\} 0$/m);
  });

  it('keeps the records while the bus is unreachable, and publishes them once it is back', async () => {
    const key = uniqueKey();
    const metrics = createMetricsRegistry('api');
    const down = new KafkaBus(kafka(['127.0.0.1:1'], 0), log);
    try {
      const failing = relay({ bus: down, metrics });
      await unitOfWork(failing, 200).run(async (box) => box.events([event(key, 'kept')]));
      await waitFor(
        async () =>
          /^chat_outbox_relay_failures_total\{app="api"\} [1-9]/m.test(await metrics.metrics()),
        { timeoutMs: 30_000, what: 'a failed relay step' },
      );
      expect((await outbox.backlog()).rows).toBe(1);
      await failing.stop();
    } finally {
      await down.close();
    }
    relay();
    await waitFor(() => texts(key).length === 1, { what: 'the kept record, published' });
    expect(texts(key)).toEqual(['kept']);
  });

  it('lets the relays of two apis take turns on one outbox: every record once, each key in order', async () => {
    const [one, two] = [relay({ batchSize: 3 }), relay({ batchSize: 3 })];
    // Calls do not wait for their records, so rows pile up and both relays contend.
    const works = [unitOfWork(one, 0), unitOfWork(two, 0)];
    const keys = Array.from({ length: 4 }, () => uniqueKey());
    const PER_KEY = 12;
    // Each key's changes commit one after the other, alternately through both apis; the
    // keys run side by side.
    await Promise.all(
      keys.map(async (key) => {
        for (let i = 0; i < PER_KEY; i++) {
          await works[i % 2].run(async (box) => box.events([event(key, String(i))]));
        }
      }),
    );
    await waitFor(async () => (await outbox.backlog()).rows === 0, { what: 'an empty outbox' });
    for (const key of keys) {
      await waitFor(() => texts(key).length >= PER_KEY, { what: `every event of ${key}` });
      // Taking turns, the relays never publish a row twice while nothing fails, and never a
      // row before one committed earlier.
      expect(texts(key)).toEqual(Array.from({ length: PER_KEY }, (_, i) => String(i)));
    }
  });

  it('drops a changed membership from the shared cache before the call answers', async () => {
    const relationId = 900_000 + ++n;
    const shared = cache.membership({ ttlMs: 60_000 });
    expect(await shared.members(relationId, async () => [1, 2])).toEqual([1, 2]);
    expect(await shared.members(relationId, async () => [1])).toEqual([1, 2]); // cached
    // Held: no event reaches anyone, so only the call itself can have invalidated.
    await unitOfWork(relay({ hold: true })).run(async (box) =>
      box.events([event(`relation:${relationId}`, 'quit', { membershipChanged: [relationId] })]),
    );
    expect(await shared.members(relationId, async () => [1])).toEqual([1]);
    await outbox.relay(100, async () => undefined, { exclusive: true }); // leave no rows
  });
});
