import type { Bus } from '@chat/bus';
import { createCacheAdapters, ENTRY_KEYS, type CacheAdapters } from '@chat/cache';
import { PgPushDeviceRepository, type Database } from '@chat/db';
import { openMigratedDatabase, TestData } from '@chat/db/testing';
import { SnowflakeGenerator } from '@chat/ids';
import { BullmqJobQueue, retryPolicyFromConfig, type JobContext } from '@chat/jobs';
import { createLogger } from '@chat/logger';
import { QUEUES, type MessageRecord, type PushJob, type StoredRecord } from '@chat/protocol';
import { DeviceOwners } from '@chat/push';
import { SharedOps } from '@chat/runtime';
import { messageRecord, publishStored, suiteBus, suiteConfig } from '@chat/bus/testing';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import { start, type RunningNotifier } from './start';

const NODE = 'gwP';
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The notifier's offline decision (docs/push-notifications.md) on Kafka, Redis and Postgres:
 * a stored message becomes one `push` job (BullMQ) for the members with no socket online and
 * a registered device, the sender excepted; none when everyone is online, none when no
 * offline member has a device, none for a system message, and none twice for a message
 * announced again. A device registered (as the api does it) after its account was looked up
 * and found without one gets the next message.
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
  let devices: PgPushDeviceRepository;
  let owners: DeviceOwners;
  const ops = new SharedOps('notifier-push-test');

  /** As `POST /api/push/register` does it: the row, then the cached "has a device". */
  const register = async (accountId: number) => {
    await devices.register(accountId, { platform: 'fcm', token: `fcm-${accountId}` });
    await owners.registered(accountId);
  };
  const account = async (online: boolean, device = true) => {
    const { id } = await data.account();
    if (online) await cache.presence.add(id, `c-${id}`, NODE);
    if (device) await register(id);
    return id;
  };
  /** `chat_notifier_push_jobs_total` by outcome. */
  const jobCounts = async () => {
    const text = await ops.metrics();
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^chat_notifier_push_jobs_total\{([^}]*)\} (\d+)$/gm)) {
      out[/outcome="(\w+)"/.exec(m[1])![1]] = Number(m[2]);
    }
    return out;
  };
  const stored = (
    relationId: number,
    accountId: number | null,
    seq: number,
    more: Partial<MessageRecord> = {},
  ): StoredRecord => ({
    message: messageRecord(ids, relationId, accountId, more),
    seq,
    rly_msg: null,
  });
  const publish = (values: StoredRecord[]) => publishStored(bus, values);
  const jobsOf = (msgId: number) =>
    seen.filter((j) => j.payload.kind === 'message' && j.payload.msg_id === msgId);

  beforeAll(async () => {
    ctx = await createSuiteContext('notifier_push');
    db = await openMigratedDatabase(ctx.databaseUrl);
    data = new TestData(db.em.fork());
    cache = createCacheAdapters({ kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix }, log);
    devices = new PgPushDeviceRepository(db.em.fork());
    owners = new DeviceOwners({
      store: cache.cache,
      keyOf: ENTRY_KEYS.pushDevices,
      load: (accountIds) => devices.accountsWithDevices(accountIds),
    });
    await cache.presence.heartbeat(NODE, 600_000);
    bus = suiteBus(ctx, 'notifier-push-test', log);
    const config = suiteConfig(ctx, {
      Token: { Key: 'notifier-test-key-0123456789-abcdefghij' },
      Push: { DevSink: true },
    });
    notifier = await start(config, log, { ops });
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

  it('queues nothing when no offline member has a device, and only those with one', async () => {
    const sender = await account(false);
    const [bare1, bare2] = [await account(false, false), await account(false, false)];
    const withPhone = await account(false);
    const { relation: none } = await data.group(sender, [bare1, bare2]);
    const { relation: some } = await data.group(sender, [bare1, withPhone]);
    const before = await jobCounts();
    const silent = stored(none.id, sender, 1);
    const marker = stored(some.id, sender, 1);
    await publish([silent]);
    await publish([marker]);
    await waitFor(() => jobsOf(marker.message.id).length === 1, { what: 'the marker job' });
    // Only the member with a device is in the job.
    expect(jobsOf(marker.message.id)[0].payload).toMatchObject({ accounts: [withPhone] });
    await waitFor(async () => (await jobCounts()).no_device > (before.no_device ?? 0), {
      what: 'the message without devices counted',
    });
    await pause(300);
    // The worker above takes every job the queue gets: none came for it.
    expect(jobsOf(silent.message.id)).toEqual([]);
    const after = await jobCounts();
    expect(after.no_device - (before.no_device ?? 0)).toBe(1);
    expect(after.queued - (before.queued ?? 0)).toBe(1);
  });

  it('notifies a device registered after its account was found without one', async () => {
    const sender = await account(false);
    const late = await account(false, false);
    const { relation } = await data.group(sender, [late]);
    const first = stored(relation.id, sender, 1);
    await publish([first]);
    // The look-up found no device and cached that.
    await waitFor(async () => (await cache.cache.get(ENTRY_KEYS.pushDevices(late))) === false, {
      what: 'the cached "no device"',
    });
    expect(jobsOf(first.message.id)).toEqual([]);
    await register(late);
    const next = stored(relation.id, sender, 2);
    await publish([next]);
    await waitFor(() => jobsOf(next.message.id).length === 1, { what: 'the next message job' });
    expect(jobsOf(next.message.id)[0].payload).toMatchObject({ accounts: [late] });
  });
});
