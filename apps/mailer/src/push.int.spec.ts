import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCacheAdapters, ENTRY_KEYS, type CacheAdapters } from '@chat/cache';
import type { Config } from '@chat/config';
import { PgPushDeviceRepository, type Database } from '@chat/db';
import { openMigratedDatabase, TestData } from '@chat/db/testing';
import type { BullmqJobQueue } from '@chat/jobs';
import { createLogger } from '@chat/logger';
import { QUEUES, type PushJob, type PushMessageJob } from '@chat/protocol';
import {
  startFakeApns,
  startFakeFcm,
  startFakeWebPush,
  type FakeApns,
  type FakeFcm,
  type FakeWebPush,
} from '@chat/push/testing';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import { start, type RunningMailer } from './start';
import { bullmqSections, mailerConfig, pause, producerQueue } from './testing/mailer-suite';

/**
 * The `push` job path on real Redis (BullMQ) and Postgres, against local servers speaking
 * FCM, APNs and Web Push (docs/push-notifications.md): a message job fans out to the devices
 * of its offline accounts, do-not-disturb silences (mentions excepted, as each account's
 * setting says), dead tokens are removed (and the notifier's cached "has a device" of their
 * account cleared), and a provider's passing failure is retried.
 */
describe('mailer: push jobs on BullMQ and Postgres', () => {
  let ctx: SuiteContext;
  let db: Database;
  let data: TestData;
  let devices: PgPushDeviceRepository;
  let fcm: FakeFcm;
  let apns: FakeApns;
  let wp: FakeWebPush;
  let dataDir: string;
  let config: Config;
  let running: RunningMailer;
  let producer: BullmqJobQueue<PushJob>;
  let cache: CacheAdapters;
  let nextMsg = 1_000_000;

  beforeAll(async () => {
    ctx = await createSuiteContext('mailer_push');
    db = await openMigratedDatabase(ctx.databaseUrl);
    data = new TestData(db.em.fork());
    devices = new PgPushDeviceRepository(db.em.fork());
    [fcm, apns, wp] = await Promise.all([startFakeFcm(), startFakeApns(), startFakeWebPush()]);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mailer-push-'));
    config = mailerConfig({
      ...bullmqSections(ctx),
      App: { DataDir: dataDir },
      Postgresql: { Url: ctx.databaseUrl },
      Email: { DevMailbox: true },
      Push: {
        FcmServiceAccount: JSON.stringify(fcm.serviceAccount),
        FcmEndpoint: fcm.url,
        ApnsKey: apns.key,
        ApnsKeyId: apns.keyId,
        ApnsTeamId: apns.teamId,
        ApnsTopic: apns.topic,
        ApnsEndpoint: apns.url,
        ApnsCa: apns.ca,
        WebPushSubject: wp.vapid.subject,
        WebPushPublicKey: wp.vapid.publicKey,
        WebPushPrivateKey: wp.vapid.privateKey,
      },
    });
    running = await start(config, createLogger({ name: 'mailer', level: 'silent' }));
    cache = createCacheAdapters(
      { kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix },
      createLogger({ name: 'cache', level: 'silent' }),
    );
    // The notifier's side: a producer with no worker, on the same Redis prefix and policy.
    producer = producerQueue<PushJob>(QUEUES.push, ctx, config);
  });

  afterAll(async () => {
    await running?.stop();
    await producer?.close();
    await cache?.close();
    await db?.close();
    await Promise.all([fcm?.close(), apns?.close(), wp?.close()]);
    await ctx?.cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const messageJob = (
    relationId: number,
    accounts: number[],
    extra: Partial<PushMessageJob> = {},
  ): PushMessageJob => ({
    kind: 'message',
    relation_id: relationId,
    msg_id: ++nextMsg,
    seq: nextMsg,
    sender_id: null,
    msg_type: 'text',
    preview: `hello ${nextMsg}`,
    accounts,
    mentioned: [],
    ...extra,
  });

  it('notifies every device of the offline accounts, on each provider, collapsed per conversation', async () => {
    const [a, b] = [await data.account(), await data.account()];
    const { relation } = await data.group(a, [b]);
    const sub = wp.subscribe();
    await devices.register(b.id, { platform: 'fcm', token: `fcm-${b.id}` });
    await devices.register(b.id, { platform: 'apns', token: `aa${b.id}` });
    await devices.register(b.id, { platform: 'webpush', token: sub.endpoint, keys: sub.keys });
    const job = messageJob(relation.id, [b.id], { sender_id: a.id });
    await producer.add('message', job, { jobId: `m-${job.msg_id}` });

    const f = await fcm.waitFor((m) => m.token === `fcm-${b.id}`);
    expect(f.message).toMatchObject({
      notification: { title: relation.groupName, body: `${a.name}: ${job.preview}` },
      data: { relation_id: String(relation.id), msg_id: String(job.msg_id) },
      android: { collapse_key: `r${relation.id}` },
    });
    const ap = await apns.waitFor((m) => m.token === `aa${b.id}`);
    expect(ap.headers['apns-collapse-id']).toBe(`r${relation.id}`);
    expect(ap.payload.aps.alert).toEqual({
      title: relation.groupName,
      body: `${a.name}: ${job.preview}`,
    });
    const w = await wp.waitFor((m) => sub.endpoint.endsWith(m.id));
    expect(w.payload).toMatchObject({ body: `${a.name}: ${job.preview}`, tag: `r${relation.id}` });
    expect(w.headers.topic).toBe(`r${relation.id}`);
  });

  it('silences a do-not-disturb conversation, except for a mention', async () => {
    const [a, c] = [await data.account(), await data.account()];
    const { relation } = await data.group(a, [c]);
    await devices.register(c.id, { platform: 'fcm', token: `fcm-dnd-${c.id}` });
    await db.em
      .fork()
      .getConnection()
      .execute(
        'UPDATE setting SET is_not_disturb = true WHERE account_id = ? AND relation_id = ?',
        [c.id, relation.id],
      );
    const quiet = messageJob(relation.id, [c.id]);
    await producer.add('message', quiet, { jobId: `m-${quiet.msg_id}` });
    const mention = messageJob(relation.id, [c.id], { mentioned: [c.id] });
    await producer.add('message', mention, { jobId: `m-${mention.msg_id}` });
    const got = await fcm.waitFor((m) => m.token === `fcm-dnd-${c.id}`);
    expect(got.message.data?.msg_id).toBe(String(mention.msg_id));
    await pause(300);
    expect(fcm.received.filter((m) => m.token === `fcm-dnd-${c.id}`)).toHaveLength(1);
  });

  it('keeps a do-not-disturb conversation silent even for a mention, when the account says so', async () => {
    const [a, c, d] = [await data.account(), await data.account(), await data.account()];
    const { relation } = await data.group(a, [c, d]);
    await devices.register(c.id, { platform: 'fcm', token: `fcm-no-break-${c.id}` });
    await devices.register(d.id, { platform: 'fcm', token: `fcm-break-${d.id}` });
    await db.em
      .fork()
      .getConnection()
      .execute(
        'UPDATE setting SET is_not_disturb = true WHERE account_id IN (?, ?) AND relation_id = ?',
        [c.id, d.id, relation.id],
      );
    // The server lets mentions through (the default); c chose not to, d chose to.
    expect(config.Push.MentionsBreakDoNotDisturb).toBe(true);
    await devices.updateSettings(c.id, { mentionsBreakDnd: false });
    await devices.updateSettings(d.id, { mentionsBreakDnd: true });
    const job = messageJob(relation.id, [c.id, d.id], { mentioned: [c.id, d.id] });
    await producer.add('message', job, { jobId: `m-${job.msg_id}` });
    const got = await fcm.waitFor((m) => m.token === `fcm-break-${d.id}`);
    expect(got.message.data?.msg_id).toBe(String(job.msg_id));
    await pause(300);
    expect(fcm.received.filter((m) => m.token === `fcm-no-break-${c.id}`)).toEqual([]);
  });

  it('removes the devices a provider calls gone, and keeps the others', async () => {
    const [a, d] = [await data.account(), await data.account()];
    const { relation } = await data.group(a, [d]);
    const sub = wp.subscribe();
    wp.goneIds.add(sub.endpoint.split('/').pop()!);
    fcm.deadTokens.add(`fcm-dead-${d.id}`);
    apns.deadTokens.add(`dd${d.id}`);
    apns.badTokens.add(`bb${d.id}`);
    await devices.register(d.id, { platform: 'fcm', token: `fcm-dead-${d.id}` });
    await devices.register(d.id, { platform: 'apns', token: `dd${d.id}` });
    await devices.register(d.id, { platform: 'apns', token: `bb${d.id}` });
    await devices.register(d.id, { platform: 'webpush', token: sub.endpoint, keys: sub.keys });
    await devices.register(d.id, { platform: 'fcm', token: `fcm-alive-${d.id}` });
    await cache.cache.set(ENTRY_KEYS.pushDevices(d.id), true, 60_000);
    const job = messageJob(relation.id, [d.id]);
    await producer.add('message', job, { jobId: `m-${job.msg_id}` });
    await fcm.waitFor((m) => m.token === `fcm-alive-${d.id}`);
    await waitFor(async () => (await devices.listOf(d.id)).length === 1, {
      what: 'dead devices removed',
    });
    expect((await devices.listOf(d.id)).map((x) => x.token)).toEqual([`fcm-alive-${d.id}`]);
    // The notifier's cached "has a device" of the account is cleared: read again next time.
    await waitFor(async () => (await cache.cache.get(ENTRY_KEYS.pushDevices(d.id))) === undefined, {
      what: 'the device entry cleared',
    });
  });

  it('retries a device whose provider fails for a moment', async () => {
    const [a, e] = [await data.account(), await data.account()];
    const { relation } = await data.group(a, [e]);
    await devices.register(e.id, { platform: 'fcm', token: `fcm-retry-${e.id}` });
    fcm.failNext(2);
    const job = messageJob(relation.id, [e.id]);
    await producer.add('message', job, { jobId: `m-${job.msg_id}` });
    await fcm.waitFor((m) => m.token === `fcm-retry-${e.id}`);
  });
});
