import { PUSH_EVENTS } from '@chat/protocol';
import {
  startFakeFcm,
  startFakeWebPush,
  type FakeFcm,
  type FakeWebPush,
  type TestSubscription,
} from '@chat/push/testing';
import { waitFor } from '@chat/testing';
import { ok } from './support/http';
import { openSession, type Session } from './support/session';
import { TestSocket } from './support/socket';
import { startTargetStack, type TargetStack } from './support/target';

/** Milliseconds given to a notification that must not come before judging that none came. */
const SETTLE_MS = 1500;
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Notifications to offline devices (docs/push-notifications.md), end to end: devices register
 * over REST; a message to a group notifies, at a local FCM and a local Web Push service the
 * apps are configured to use, the devices of members with no socket online, and not those
 * of members online; a do-not-disturb conversation stays silent; a token FCM calls gone is
 * unregistered. ann sends; bob has an Android phone (and a dead old token); cat a browser.
 */
describe('push notifications to offline devices', () => {
  let stack: TargetStack;
  let fcm: FakeFcm;
  let wp: FakeWebPush;
  let ann: Session;
  let bob: Session;
  let cat: Session;
  let annWs: TestSocket;
  let group: number;
  let catSub: TestSubscription;
  const bobToken = 'bob-phone-token';
  const bobOldToken = 'bob-old-phone-token';

  beforeAll(async () => {
    [fcm, wp] = await Promise.all([startFakeFcm(), startFakeWebPush()]);
    fcm.deadTokens.add(bobOldToken);
    stack = await startTargetStack(
      'e2e_push',
      {
        PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify(fcm.serviceAccount),
        PUSH_FCM_ENDPOINT: fcm.url,
        PUSH_WEB_PUSH_SUBJECT: wp.vapid.subject,
        PUSH_WEB_PUSH_PUBLIC_KEY: wp.vapid.publicKey,
        PUSH_WEB_PUSH_PRIVATE_KEY: wp.vapid.privateKey,
      },
      { gateways: 1, workers: true },
    );
    [ann, bob, cat] = await Promise.all([
      openSession(stack, 'ann.push@example.com', 'ann'),
      openSession(stack, 'bob.push@example.com', 'bob'),
      openSession(stack, 'cat.push@example.com', 'cat'),
    ]);
    await ann.befriend(bob);
    await ann.befriend(cat);
    group = await ann.createGroup('pushers', [bob, cat]);
    annWs = await TestSocket.open(stack.gateways[0].wsUrl, ann.accountToken);
    catSub = wp.subscribe();
  }, 180_000);

  afterAll(async () => {
    await annWs?.close();
    await stack?.stop();
    await Promise.all([fcm?.close(), wp?.close()]);
  });

  const devicesOf = async (who: Session) =>
    ok(await who.api.get('/api/push/devices', { token: who.accountToken })).list as {
      device_id: number;
      platform: string;
      token: string;
    }[];

  async function send(content: string, mention?: Session): Promise<number> {
    const ack = await annWs.request('send_msg', {
      relation_id: group,
      msg_content: content,
      ...(mention ? { msg_extend: { remind: [{ idx: 1, account_id: mention.accountId }] } } : {}),
    });
    expect([ack.status_code, ack.status_msg]).toEqual([0, 'ok']);
    return ack.data.msg_id as number;
  }

  it('registers devices, refusing malformed ones', async () => {
    for (const token of [bobOldToken, bobToken]) {
      const d = ok(
        await bob.api.post('/api/push/register', {
          token: bob.accountToken,
          body: { platform: 'fcm', token },
        }),
      );
      expect(d).toMatchObject({ platform: 'fcm', token });
    }
    ok(
      await cat.api.post('/api/push/register', {
        token: cat.accountToken,
        body: { platform: 'webpush', subscription: catSub },
      }),
    );
    const bad = await cat.api.post('/api/push/register', {
      token: cat.accountToken,
      body: { platform: 'webpush', subscription: { endpoint: 'not a url', keys: catSub.keys } },
    });
    expect(bad.status_code).toBe(1001);
    const noToken = await bob.api.post('/api/push/register', {
      body: { platform: 'fcm', token: 'x' },
    });
    expect(noToken.status_code).not.toBe(0);
    expect((await devicesOf(bob)).map((d) => d.token)).toEqual([bobOldToken, bobToken]);
    expect((await devicesOf(cat)).map((d) => [d.platform, d.token])).toEqual([
      ['webpush', catSub.endpoint],
    ]);
  });

  it('notifies the devices of offline members, and unregisters the token FCM calls gone', async () => {
    const msgId = await send('lunch at noon?');
    const f = await fcm.waitFor(
      (m) => m.token === bobToken && m.message.data?.msg_id === String(msgId),
      20_000,
    );
    expect(f.message).toMatchObject({
      notification: { title: 'pushers', body: 'ann: lunch at noon?' },
      data: { relation_id: String(group) },
      android: { collapse_key: `r${group}` },
    });
    const w = await wp.waitFor((m) => m.payload.data.msg_id === String(msgId), 20_000);
    expect(w.payload).toMatchObject({
      title: 'pushers',
      body: 'ann: lunch at noon?',
      tag: `r${group}`,
    });
    // The sender, online, hears of nothing on a device.
    await waitFor(async () => (await devicesOf(bob)).length === 1, {
      what: 'the dead token unregistered',
      timeoutMs: 20_000,
    });
    expect((await devicesOf(bob)).map((d) => d.token)).toEqual([bobToken]);
  });

  it('does not notify a member who is online', async () => {
    const bobWs = await TestSocket.open(stack.gateways[0].wsUrl, bob.accountToken);
    try {
      expect((await bobWs.request('ping')).status_code).toBe(0);
      const msgId = await send('bob is here');
      await bobWs.waitForPush(
        (p) => p.event === PUSH_EVENTS.sendMsg && p.data.msg_info.id === msgId,
        'the message over the socket',
      );
      // cat, offline, is notified: once that arrived, bob's would have too.
      await wp.waitFor((m) => m.payload.data.msg_id === String(msgId), 20_000);
      await pause(SETTLE_MS);
      expect(fcm.received.filter((m) => m.message.data?.msg_id === String(msgId))).toEqual([]);
    } finally {
      await bobWs.close();
    }
  });

  it('keeps a do-not-disturb conversation silent', async () => {
    ok(
      await cat.api.put('/api/setting/update/disturb', {
        token: cat.accountToken,
        body: { relation_id: group, is_not_disturb: true },
      }),
    );
    // bob's socket closed in the test before: once the gateway dropped it, bob is offline.
    await pause(500);
    const msgId = await send('quiet please');
    await fcm.waitFor(
      (m) => m.token === bobToken && m.message.data?.msg_id === String(msgId),
      20_000,
    );
    await pause(SETTLE_MS);
    expect(wp.received.filter((m) => m.payload.data.msg_id === String(msgId))).toEqual([]);
  });

  const settingsOf = async (who: Session) =>
    ok(await who.api.get('/api/push/settings', { token: who.accountToken })) as {
      mentions_break_dnd: boolean;
    };

  it('lets a mention through do-not-disturb while the account allows it (the default)', async () => {
    expect(await settingsOf(cat)).toEqual({ mentions_break_dnd: true });
    const msgId = await send('@cat a word', cat);
    const w = await wp.waitFor((m) => m.payload.data.msg_id === String(msgId), 20_000);
    expect(w.payload).toMatchObject({ body: 'ann: @cat a word' });
  });

  it('keeps do-not-disturb silent even for a mention once the account says so', async () => {
    expect(
      ok(
        await cat.api.put('/api/push/settings', {
          token: cat.accountToken,
          body: { mentions_break_dnd: false },
        }),
      ),
    ).toEqual({ mentions_break_dnd: false });
    expect(await settingsOf(cat)).toEqual({ mentions_break_dnd: false });
    const bad = await cat.api.put('/api/push/settings', {
      token: cat.accountToken,
      body: { mentions_break_dnd: 'no' },
    });
    expect(bad.status_code).toBe(1001);
    expect(await settingsOf(cat)).toEqual({ mentions_break_dnd: false });
    // Another account's setting is its own.
    expect(await settingsOf(bob)).toEqual({ mentions_break_dnd: true });
    const msgId = await send('@cat still there?', cat);
    // bob, not do-not-disturb, is notified of the same message: once that arrived, cat's
    // would have too.
    await fcm.waitFor(
      (m) => m.token === bobToken && m.message.data?.msg_id === String(msgId),
      20_000,
    );
    await pause(SETTLE_MS);
    expect(wp.received.filter((m) => m.payload.data.msg_id === String(msgId))).toEqual([]);
  });

  it('unregisters a device', async () => {
    const gone = ok(
      await cat.api.delete('/api/push/unregister', {
        token: cat.accountToken,
        query: { platform: 'webpush', token: catSub.endpoint },
      }),
    );
    expect(gone).toEqual({ removed: true });
    expect(await devicesOf(cat)).toEqual([]);
  });

  /** `chat_notifier_push_jobs_total` by outcome, over the notifiers (standalone: the server). */
  async function pushJobCounts(): Promise<Record<string, number>> {
    const notifiers = stack.apps.filter(
      (a) => a.opsUrl && (stack.target === 'standalone' || a.name.includes('notifier')),
    );
    expect(notifiers.length).toBeGreaterThan(0);
    const out: Record<string, number> = {};
    for (const app of notifiers) {
      const text = await (await fetch(`${app.opsUrl}/metrics`)).text();
      for (const m of text.matchAll(/^chat_notifier_push_jobs_total\{([^}]*)\} (\d+)$/gm)) {
        const outcome = /outcome="(\w+)"/.exec(m[1])![1];
        out[outcome] = (out[outcome] ?? 0) + Number(m[2]);
      }
    }
    return out;
  }

  it('queues no job when no offline member has a device, and notifies a device registered just after', async () => {
    // bob online, cat offline without a device (unregistered above): nobody to notify.
    const bobWs = await TestSocket.open(stack.gateways[0].wsUrl, bob.accountToken);
    try {
      expect((await bobWs.request('ping')).status_code).toBe(0);
      ok(
        await cat.api.put('/api/setting/update/disturb', {
          token: cat.accountToken,
          body: { relation_id: group, is_not_disturb: false },
        }),
      );
      const before = await pushJobCounts();
      const quiet = await send('nobody has a phone');
      await bobWs.waitForPush(
        (p) => p.event === PUSH_EVENTS.sendMsg && p.data.msg_info.id === quiet,
        'the message over the socket',
      );
      await waitFor(async () => (await pushJobCounts()).no_device === before.no_device + 1, {
        what: 'the message counted as having no device to notify',
        timeoutMs: 20_000,
      });
      expect((await pushJobCounts()).queued).toBe(before.queued);
      // cat registers now: the very next message notifies the new device.
      const sub = wp.subscribe();
      ok(
        await cat.api.post('/api/push/register', {
          token: cat.accountToken,
          body: { platform: 'webpush', subscription: sub },
        }),
      );
      const next = await send('now you have one');
      const w = await wp.waitFor((m) => m.payload.data.msg_id === String(next), 20_000);
      expect(w.payload).toMatchObject({ body: 'ann: now you have one' });
      expect(wp.received.filter((m) => m.payload.data.msg_id === String(quiet))).toEqual([]);
      expect((await pushJobCounts()).queued).toBe(before.queued + 1);
    } finally {
      await bobWs.close();
    }
  });
});
