import Redis from 'ioredis';
import { PUSH_EVENTS } from '@chat/protocol';
import { waitFor, WsClient, type WsPush } from '@chat/testing';
import { startStack, type Stack } from '../e2e/support/stack';
import { openSession, type Session } from '../e2e/support/session';

/** `Gateway.PresenceTtl` of this suite. */
const TTL_MS = 3000;
/** Longest between two heartbeat rounds (`PRESENCE_BEAT_MAX_MS`). */
const BEAT_MS = 500;
/** Room for the record's way through Kafka to the watcher's gateway and the push. */
const DELIVERY_MS = 3000;

/**
 * A gateway that dies without a goodbye (docs/features.md "Presence"): once its liveness key
 * expires, one surviving gateway removes its entries and announces offline the accounts it
 * alone held, so watchers on every gateway see them go, once; an account connected to a
 * surviving gateway too stays online. A node restarting under the same id before anyone
 * swept it announces what its previous run left. A gateway stopped gracefully announces
 * its accounts itself, at once.
 */
describe('presence after a gateway crash', () => {
  let stack: Stack;
  let ann: Session;
  let bob: Session;
  let cat: Session;
  let redis: Redis;
  const sockets: WsClient[] = [];

  beforeAll(async () => {
    stack = await startStack(
      'fault_presence_crash',
      { GATEWAY_PRESENCE_TTL: `${TTL_MS / 1000}s` },
      { gateways: 2 },
    );
    [ann, bob, cat] = await Promise.all([
      openSession(stack, 'ann.crash@example.com', 'ann'),
      openSession(stack, 'bob.crash@example.com', 'bob'),
      openSession(stack, 'cat.crash@example.com', 'cat'),
    ]);
    await ann.befriend(bob);
    await ann.befriend(cat);
    redis = new Redis(stack.ctx.redisUrl);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(sockets.map((ws) => ws.close().catch(() => undefined)));
    redis?.disconnect();
    await stack?.stop();
  });

  async function connect(s: Session, wsUrl: string): Promise<WsClient> {
    const ws = await WsClient.connect(wsUrl, { token: s.accountToken });
    expect((await ws.request('ping')).status_code).toBe(0);
    sockets.push(ws);
    return ws;
  }

  const about = (accountId: number) => (p: WsPush) =>
    p.event === PUSH_EVENTS.presence && p.data?.account_id === accountId;
  const pushesSince = (ws: WsClient, mark: number, accountId: number) =>
    ws.pushes.slice(mark).filter(about(accountId));

  it('announces offline, once, an account held only by the killed gateway', async () => {
    const [gw1, gw2] = stack.gateways;
    const annWs = await connect(ann, gw1.wsUrl);
    const bobWs = await connect(bob, gw2.wsUrl);
    await connect(cat, gw1.wsUrl);
    const catOnGw2 = await connect(cat, gw2.wsUrl);
    const sub = await annWs.request('presence_subscribe', {
      account_ids: [bob.accountId, cat.accountId],
    });
    expect(sub.data.presences.map((p: { online: boolean }) => p.online)).toEqual([true, true]);

    const mark = annWs.pushes.length;
    const killedAt = Date.now();
    await gw2.app.stop('SIGKILL');
    await Promise.all([bobWs.closed, catOnGw2.closed]);

    const push = await waitFor(() => pushesSince(annWs, mark, bob.accountId)[0], {
      timeoutMs: TTL_MS + BEAT_MS + DELIVERY_MS + 10_000,
      what: 'bob shown offline',
    });
    const tookMs = Date.now() - killedAt;
    expect(push.data.online).toBe(false);
    expect(Date.parse(push.data.last_seen)).toBeGreaterThanOrEqual(killedAt + TTL_MS - 1000);
    expect(tookMs).toBeLessThan(TTL_MS + BEAT_MS + DELIVERY_MS);

    // Exactly once; nothing about Cat, still connected to gw1.
    await new Promise((r) => setTimeout(r, 2 * BEAT_MS + 1000));
    expect(pushesSince(annWs, mark, bob.accountId)).toHaveLength(1);
    expect(pushesSince(annWs, mark, cat.accountId)).toHaveLength(0);
    const now = await annWs.request('presence_subscribe', { account_ids: [cat.accountId] });
    expect(now.data.presences[0]).toMatchObject({ account_id: cat.accountId, online: true });

    // Swept: the dead node's entries and its registration are gone.
    const p = stack.ctx.redisPrefix;
    expect(await redis.exists(`${p}presence:node-conns:gw2`)).toBe(0);
    expect(await redis.sismember(`${p}presence:nodes`, 'gw2')).toBe(0);
    expect(await redis.sismember(`${p}presence:nodes`, 'gw1')).toBe(1);
  }, 120_000);

  it('has a gateway restarting under the same id announce what its previous run left, once', async () => {
    const annWs = sockets[0]!;
    let gw2 = await stack.startGateway(2);
    const bobWs = await connect(bob, gw2.wsUrl);
    let mark = annWs.pushes.length;
    await waitFor(() => pushesSince(annWs, mark, bob.accountId)[0]?.data.online === true, {
      timeoutMs: 15_000,
      what: 'bob shown online again',
    });

    // Killed and started again at once: its own start drops Bob's entry and announces him,
    // unless gw1's sweep got there first (the start can outlast the TTL). Either way each
    // entry is removed by one of them, and Ann sees Bob go offline once.
    mark = annWs.pushes.length;
    await gw2.app.stop('SIGKILL');
    await bobWs.closed;
    gw2 = await stack.startGateway(2);
    await waitFor(() => pushesSince(annWs, mark, bob.accountId)[0], {
      timeoutMs: 15_000,
      what: 'bob shown offline after the restart',
    });
    await new Promise((r) => setTimeout(r, TTL_MS + 2 * BEAT_MS + 1000));
    const got = pushesSince(annWs, mark, bob.accountId);
    expect(got).toHaveLength(1);
    expect(got[0]!.data).toMatchObject({ account_id: bob.accountId, online: false });

    // And back online when he reconnects to it.
    mark = annWs.pushes.length;
    await connect(bob, gw2.wsUrl);
    await waitFor(() => pushesSince(annWs, mark, bob.accountId)[0]?.data.online === true, {
      timeoutMs: 15_000,
      what: 'bob online on the restarted gateway',
    });
  }, 120_000);

  it('has a gateway stopped gracefully announce offline at once the accounts it alone held', async () => {
    const [gw1] = stack.gateways;
    // Bob may still be connected to gw2 from the case above: Dan is on gw3 alone.
    const dan = await openSession(stack, 'dan.crash@example.com', 'dan');
    await ann.befriend(dan);
    const annWs = await connect(ann, gw1.wsUrl);
    await connect(cat, gw1.wsUrl);
    const gw3 = await stack.startGateway(3);
    const danWs = await connect(dan, gw3.wsUrl);
    const catWs = await connect(cat, gw3.wsUrl);
    const sub = await annWs.request('presence_subscribe', {
      account_ids: [dan.accountId, cat.accountId],
    });
    expect(sub.data.presences.map((p: { online: boolean }) => p.online)).toEqual([true, true]);

    const mark = annWs.pushes.length;
    const stoppedAt = Date.now();
    expect(await gw3.app.stop('SIGTERM')).toBe(0);
    await Promise.all([danWs.closed, catWs.closed]);
    const push = await waitFor(() => pushesSince(annWs, mark, dan.accountId)[0], {
      timeoutMs: 15_000,
      what: 'dan shown offline after the graceful stop',
    });
    expect(push.data).toMatchObject({ account_id: dan.accountId, online: false });
    // Not the crash path: no wait for the TTL.
    expect(Date.parse(push.data.last_seen)).toBeLessThan(stoppedAt + TTL_MS);
    await new Promise((r) => setTimeout(r, TTL_MS + 2 * BEAT_MS));
    expect(pushesSince(annWs, mark, dan.accountId)).toHaveLength(1);
    expect(pushesSince(annWs, mark, cat.accountId)).toHaveLength(0);
  }, 120_000);
});
