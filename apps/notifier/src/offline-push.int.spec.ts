import path from 'node:path';
import { createBus, type Bus } from '@chat/bus';
import { createCacheAdapters, type CacheAdapters } from '@chat/cache';
import { loadConfig } from '@chat/config';
import type { Database } from '@chat/db';
import { openMigratedDatabase, TestData } from '@chat/db/testing';
import { SnowflakeGenerator, snowflakeTime } from '@chat/ids';
import { BullmqJobQueue, retryPolicyFromConfig, type JobContext } from '@chat/jobs';
import { createLogger } from '@chat/logger';
import {
  QUEUES,
  TOPICS,
  type MessageRecord,
  type PushJob,
  type StoredRecord,
} from '@chat/protocol';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import { start, type RunningNotifier } from './start';

const NODE = 'gwP';
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The notifier's offline decision (docs/push-notifications.md) on Kafka, Redis and Postgres:
 * a stored message becomes one `push` job (BullMQ) for the members with no socket online,
 * the sender excepted; none when everyone is online, none for a system message, and none
 * twice for a message announced again.
 */
describe('notifier: push jobs for offline members', () => {
  const log = createLogger({ name: 'notifier-push-test', level: 'warn' });
  const ids = new SnowflakeGenerator({ nodeId: 12 });
  let ctx: SuiteContext;
  let db: Database;
  let data: TestData;
  let bus: Bus;
  let cache: CacheAdapters;
  let notifier: RunningNotifier;
  let jobs: BullmqJobQueue<PushJob>;
  const seen: JobContext<PushJob>[] = [];

  const account = async (online: boolean) => {
    const { id } = await data.account();
    if (online) await cache.presence.add(id, `c-${id}`, NODE);
    return id;
  };
  const stored = (
    relationId: number,
    accountId: number | null,
    seq: number,
    more: Partial<MessageRecord> = {},
  ): StoredRecord => {
    const id = ids.next();
    return {
      message: {
        id,
        relation_id: relationId,
        notify_type: accountId === null ? 'system' : 'common',
        msg_type: 'text',
        msg_content: `message ${id}`,
        msg_extend: null,
        file_id: null,
        account_id: accountId,
        rly_msg_id: null,
        client_msg_id: null,
        create_at: snowflakeTime(id).toISOString(),
        ...more,
      },
      seq,
      rly_msg: null,
    };
  };
  const publish = (values: StoredRecord[]) =>
    bus.publishMany(
      values.map((v) => ({
        topic: TOPICS.stored,
        key: String(v.message.relation_id),
        value: JSON.stringify(v),
      })),
    );
  const jobsOf = (msgId: number) =>
    seen.filter((j) => j.payload.kind === 'message' && j.payload.msg_id === msgId);

  beforeAll(async () => {
    ctx = await createSuiteContext('notifier_push');
    db = await openMigratedDatabase(ctx.databaseUrl);
    data = new TestData(db.em.fork());
    cache = createCacheAdapters({ kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix }, log);
    await cache.presence.heartbeat(NODE, 600_000);
    bus = createBus(
      {
        kind: 'kafka',
        brokers: ctx.kafkaBrokers,
        clientId: 'notifier-push-test',
        topicPrefix: ctx.topicPrefix,
        groupPrefix: ctx.groupPrefix,
        partitions: 2,
        replicationFactor: 1,
        consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 },
      },
      log,
    );
    const config = loadConfig({
      dir: path.resolve(__dirname, '../../../config/app'),
      env: {},
      overrides: {
        Postgresql: { Url: ctx.databaseUrl, PoolMax: 4 },
        Redis: { Url: ctx.redisUrl, KeyPrefix: ctx.redisPrefix },
        Kafka: { Brokers: ctx.kafkaBrokers.join(','), TopicPrefix: ctx.topicPrefix, Partitions: 2 },
        Token: { Key: 'notifier-test-key-0123456789-abcdefghij' },
        Push: { DevSink: true },
      },
    });
    notifier = await start(config, log);
    // The mailer's side: a worker that records the jobs.
    jobs = new BullmqJobQueue<PushJob>(
      QUEUES.push,
      {
        redisUrl: ctx.redisUrl,
        prefix: ctx.redisPrefix,
        retry: retryPolicyFromConfig(config.Auto.Retry),
      },
      log,
    );
    jobs.process(async (job) => void seen.push(job), { concurrency: 1 });
    // A new group starts at the end of the topic: records published before it has its
    // partitions are not seen. Publish (a new seq each time) until one gets through.
    const [a, b] = [await account(false), await account(false)];
    const { relation } = await data.group(a, [b]);
    let seq = 0;
    await waitFor(
      async () => {
        const warm = stored(relation.id, a, ++seq);
        await publish([warm]);
        await pause(500);
        return seen.length > 0;
      },
      { what: 'the notifier consuming', timeoutMs: 30_000 },
    );
  }, 60_000);

  afterAll(async () => {
    await notifier?.stop();
    await jobs?.close();
    await bus?.close();
    await cache?.close();
    await db?.close();
    await ctx?.cleanup();
  });

  it('queues one job for the offline members of a message, not its sender, once', async () => {
    const sender = await account(false);
    const online = await account(true);
    const [off1, off2] = [await account(false), await account(false)];
    const { relation } = await data.group(sender, [online, off1, off2]);
    const record = {
      ...stored(relation.id, sender, 1, {
        msg_extend: { remind: [{ idx: 1, account_id: off2 }] },
      }),
      // As the persister records them (members only, never the sender).
      mentions: [off2],
    };
    await publish([record]);
    await waitFor(() => jobsOf(record.message.id).length === 1, { what: 'the push job' });
    const [job] = jobsOf(record.message.id);
    expect(job.id).toBe(`m-${record.message.id}`);
    expect(job.payload).toEqual({
      kind: 'message',
      relation_id: relation.id,
      msg_id: record.message.id,
      seq: 1,
      sender_id: sender,
      msg_type: 'text',
      preview: record.message.msg_content,
      accounts: [off1, off2].sort((a, b) => a - b),
      mentioned: [off2],
    });
    // Announced again (a redelivery): no second job.
    await publish([record]);
    await pause(1000);
    expect(jobsOf(record.message.id)).toHaveLength(1);
  });

  it('queues nothing when every recipient is online, nor for a system message', async () => {
    const sender = await account(true);
    const peer = await account(true);
    const offline = await account(false);
    const { relation } = await data.group(sender, [peer]);
    const { relation: other } = await data.group(sender, [offline]);
    const allOnline = stored(relation.id, sender, 1);
    const system = stored(other.id, null, 1);
    const marker = stored(other.id, sender, 2);
    await publish([allOnline, system, marker]);
    // The last one does queue a job: once it is there, the others would have been too.
    await waitFor(() => jobsOf(marker.message.id).length === 1, { what: 'the marker job' });
    await pause(300);
    expect(jobsOf(allOnline.message.id)).toEqual([]);
    expect(jobsOf(system.message.id)).toEqual([]);
  });
});
