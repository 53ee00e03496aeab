import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { ApnsSender } from './apns-sender';
import { createPushSender } from './create-push-sender';
import { type DevPushSink } from './dev-push-sink';
import { FcmSender } from './fcm-sender';
import { type PushNotification } from './push-sender';
import {
  startFakeApns,
  startFakeFcm,
  startFakeWebPush,
  type FakeApns,
  type FakeFcm,
  type FakeWebPush,
} from './testing';
import { WebPushSender } from './web-push-sender';

const log = createLogger({ name: 'test', level: 'silent' });
const note: PushNotification = {
  title: 'Alice',
  body: 'hello there',
  collapseKey: 'r42',
  data: { relation_id: '42', msg_id: '7' },
};

describe('FcmSender against a local FCM', () => {
  let fcm: FakeFcm;
  let sender: FcmSender;
  beforeAll(async () => {
    fcm = await startFakeFcm();
    sender = new FcmSender({ serviceAccount: fcm.serviceAccount, endpoint: fcm.url }, log);
  });
  afterAll(async () => {
    await sender.close();
    await fcm.close();
  });

  it('trades a signed assertion for a token once, then sends with it', async () => {
    await expect(sender.send({ platform: 'fcm', token: 'tok-a' }, note)).resolves.toMatchObject({
      kind: 'sent',
      id: expect.stringContaining('projects/chat-test/messages/'),
    });
    await sender.send({ platform: 'fcm', token: 'tok-b' }, note);
    expect(fcm.tokensIssued).toBe(1);
    const got = fcm.received.find((m) => m.token === 'tok-a')!;
    expect(got.message).toMatchObject({
      notification: { title: 'Alice', body: 'hello there' },
      data: { relation_id: '42', msg_id: '7' },
      android: { collapse_key: 'r42' },
      apns: { headers: { 'apns-collapse-id': 'r42' } },
    });
  });

  it('calls a token dead on 404 UNREGISTERED and on 400 INVALID_ARGUMENT naming the token', async () => {
    fcm.deadTokens.add('gone');
    fcm.invalidTokens.add('junk');
    await expect(sender.send({ platform: 'fcm', token: 'gone' }, note)).resolves.toMatchObject({
      kind: 'dead',
    });
    await expect(sender.send({ platform: 'fcm', token: 'junk' }, note)).resolves.toMatchObject({
      kind: 'dead',
    });
  });

  it('rejects a 503 as retryable', async () => {
    fcm.failNext(1);
    const err = await sender
      .send({ platform: 'fcm', token: 'tok-c' }, note)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfrastructureError);
    expect((err as InfrastructureError).retryable).toBe(true);
  });

  it('rejects, not retryable, when the key is not the one the provider knows', async () => {
    const other = await startFakeFcm();
    try {
      const wrongKey = new FcmSender(
        {
          serviceAccount: { ...fcm.serviceAccount, private_key: other.serviceAccount.private_key },
          endpoint: fcm.url,
        },
        log,
      );
      const err = await wrongKey
        .send({ platform: 'fcm', token: 'x' }, note)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InfrastructureError);
      expect((err as InfrastructureError).retryable).toBe(false);
    } finally {
      await other.close();
    }
  });
});

describe('ApnsSender against a local HTTP/2 APNs', () => {
  let apns: FakeApns;
  let sender: ApnsSender;
  beforeAll(async () => {
    apns = await startFakeApns();
    sender = new ApnsSender(
      {
        key: apns.key,
        keyId: apns.keyId,
        teamId: apns.teamId,
        topic: apns.topic,
        endpoint: apns.url,
        ca: apns.ca,
      },
      log,
    );
  });
  afterAll(async () => {
    await sender.close();
    await apns.close();
  });

  it('sends with an ES256 provider token, topic, push type and collapse id', async () => {
    await expect(sender.send({ platform: 'apns', token: 'abcd01' }, note)).resolves.toMatchObject({
      kind: 'sent',
      id: expect.stringMatching(/^0{8}-/),
    });
    const got = apns.received[0];
    expect(got.token).toBe('abcd01');
    expect(got.headers).toMatchObject({
      'apns-topic': 'chat.test.app',
      'apns-push-type': 'alert',
      'apns-collapse-id': 'r42',
    });
    expect(got.payload).toMatchObject({
      aps: { alert: { title: 'Alice', body: 'hello there' } },
      relation_id: '42',
    });
  });

  it('calls a token dead on 410 and on 400 BadDeviceToken', async () => {
    apns.deadTokens.add('dead01');
    apns.badTokens.add('bad01');
    await expect(sender.send({ platform: 'apns', token: 'dead01' }, note)).resolves.toEqual({
      kind: 'dead',
      reason: '410 Unregistered',
    });
    await expect(sender.send({ platform: 'apns', token: 'bad01' }, note)).resolves.toEqual({
      kind: 'dead',
      reason: '400 BadDeviceToken',
    });
  });

  it('is refused with another key', async () => {
    const other = await startFakeApns();
    try {
      const wrong = new ApnsSender(
        {
          key: other.key,
          keyId: apns.keyId,
          teamId: apns.teamId,
          topic: apns.topic,
          endpoint: apns.url,
          ca: apns.ca,
        },
        log,
      );
      const err = await wrong
        .send({ platform: 'apns', token: 'abcd02' }, note)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InfrastructureError);
      expect((err as Error).message).toContain('403 InvalidProviderToken');
      await wrong.close();
    } finally {
      await other.close();
    }
  });
});

describe('WebPushSender against a local push service', () => {
  let wp: FakeWebPush;
  let sender: WebPushSender;
  beforeAll(async () => {
    wp = await startFakeWebPush();
    sender = new WebPushSender(wp.vapid, log);
  });
  afterAll(async () => {
    await sender.close();
    await wp.close();
  });

  it('sends a VAPID-signed, aes128gcm-encrypted payload the subscription can decrypt', async () => {
    const sub = wp.subscribe();
    await expect(
      sender.send({ platform: 'webpush', token: sub.endpoint, keys: sub.keys }, note),
    ).resolves.toMatchObject({ kind: 'sent' });
    const got = await wp.waitFor((m) => sub.endpoint.endsWith(m.id));
    expect(got.payload).toEqual({
      title: 'Alice',
      body: 'hello there',
      tag: 'r42',
      data: { relation_id: '42', msg_id: '7' },
    });
    expect(got.headers.topic).toBe('r42');
  });

  it('calls a subscription dead on 410', async () => {
    const sub = wp.subscribe();
    wp.goneIds.add(sub.endpoint.split('/').pop()!);
    await expect(
      sender.send({ platform: 'webpush', token: sub.endpoint, keys: sub.keys }, note),
    ).resolves.toMatchObject({ kind: 'dead' });
  });
});

describe('DevPushSink and createPushSender', () => {
  it('writes each notification as a JSON file and calls dead- tokens dead', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'push-sink-'));
    try {
      const sink = createPushSender({ kind: 'dev', dir }, log) as DevPushSink;
      expect(sink.platforms).toEqual(['fcm', 'apns', 'webpush']);
      await sink.send({ platform: 'apns', token: 'abc' }, note);
      const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
      expect(files).toHaveLength(1);
      expect(JSON.parse(await readFile(path.join(dir, files[0]), 'utf8'))).toMatchObject({
        platform: 'apns',
        token: 'abc',
        title: 'Alice',
        collapseKey: 'r42',
      });
      await expect(sink.send({ platform: 'fcm', token: 'dead-1' }, note)).resolves.toMatchObject({
        kind: 'dead',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('routes by platform and refuses one that is not configured', async () => {
    const fcm = await startFakeFcm();
    try {
      const router = createPushSender(
        { kind: 'providers', fcm: { serviceAccount: fcm.serviceAccount, endpoint: fcm.url } },
        log,
      )!;
      expect(router.platforms).toEqual(['fcm']);
      await expect(router.send({ platform: 'fcm', token: 't' }, note)).resolves.toMatchObject({
        kind: 'sent',
      });
      await expect(router.send({ platform: 'apns', token: 't' }, note)).rejects.toThrow(
        'no apns sender',
      );
      await router.close();
    } finally {
      await fcm.close();
    }
    expect(createPushSender({ kind: 'none' }, log)).toBeUndefined();
  });
});
