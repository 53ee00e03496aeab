import { PUSH_EVENTS } from '@chat/protocol';
import { waitFor, type WsPush } from '@chat/testing';
import { dropRedisKeys, redisHas } from './support/cache-loss';
import { ok } from './support/http';
import { openSession, type Session } from './support/session';
import { E2E_TARGET, startTargetStack, type TargetStack } from './support/target';
import { TestSocket } from './support/socket';

/**
 * The send dedup rule of docs/send-msg.md, end to end: a `client_msg_id` is unique per
 * account within `Gateway.SendDedupWindow`. A resend within the window is answered with the
 * original id, even after the cache lost its dedup claims (a Redis flush on the distributed
 * target, a restart of the one-process server, whose cache is its memory); a reuse after
 * the window is a new message, stored and pushed like any other. And presence: sockets
 * that stayed connected through a Redis flush are reachable again within a heartbeat.
 */

interface Ack {
  msg_id: number;
  create_at: string;
}

interface Pair {
  ann: Session;
  bob: Session;
  relation: number;
}

async function befriend(stack: TargetStack, tag: string): Promise<Pair> {
  const [ann, bob] = await Promise.all([
    openSession(stack, `ann.${tag}@example.com`, `ann-${tag}`),
    openSession(stack, `bob.${tag}@example.com`, `bob-${tag}`),
  ]);
  return { ann, bob, relation: await ann.befriend(bob) };
}

async function connect(stack: TargetStack, who: Session): Promise<TestSocket> {
  const ws = await TestSocket.open(stack.gateways[0].wsUrl, who.accountToken);
  expect((await ws.request('ping')).status_code).toBe(0);
  return ws;
}

async function send(ws: TestSocket, relation: number, content: string, clientMsgId: string) {
  const reply = await ws.request<Ack>('send_msg', {
    relation_id: relation,
    msg_content: content,
    client_msg_id: clientMsgId,
  });
  expect([reply.status_code, reply.status_msg]).toEqual([0, 'ok']);
  return reply.data as Ack;
}

const isMessage = (id: number) => (p: WsPush) =>
  p.event === PUSH_EVENTS.sendMsg && p.data.msg_info.id === id;

/** Ids of the people's messages pushed to `ws` (not the system ones, "became friends"). */
const pushedIds = (ws: TestSocket) =>
  ws.pushes
    .filter((p) => p.event === PUSH_EVENTS.sendMsg && p.data.msg_info.notify_type === 'common')
    .map((p) => p.data.msg_info.id as number);

/** The relation's messages as history returns them, `[id, content]`, oldest first. */
async function history(pair: Pair): Promise<[number, string][]> {
  const page = ok(
    await pair.ann.api.get('/api/msg/list/time', {
      token: pair.ann.accountToken,
      query: {
        relation_id: pair.relation,
        last_time: Math.floor(Date.now() / 1000) + 3600,
        page_size: 200,
      },
    }),
  );
  return (page.list as { id: number; msg_content: string }[]).map((m) => [m.id, m.msg_content]);
}

/** Sends a last message and waits for its push: what was pushed before it has arrived. */
async function settle(sender: TestSocket, receiver: TestSocket, relation: number, tag: string) {
  const last = await send(sender, relation, `sentinel ${tag}`, `sentinel-${tag}`);
  await receiver.waitForPush(isMessage(last.msg_id), `the sentinel ${tag}`, 20_000);
  return last;
}

describe('send_msg dedup within the window, through a loss of the cache', () => {
  let stack: TargetStack;
  const sockets: TestSocket[] = [];
  const open = async (who: Session) => {
    const ws = await connect(stack, who);
    sockets.push(ws);
    return ws;
  };

  beforeAll(async () => {
    // Presence heart-beats every second, so a flushed Redis is noticed quickly.
    stack = await startTargetStack(
      'e2e_send_dedup',
      { GATEWAY_PRESENCE_TTL: '3s' },
      { gateways: 1, workers: true },
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(sockets.map((ws) => ws.close()));
    await stack?.stop();
  });

  // Longer than the default: on the standalone target the server restarts within it.
  it('answers a resend after the cache lost its claims with the original id, stored and pushed once', async () => {
    const pair = await befriend(stack, 'lost');
    let [annWs, bobWs] = [await open(pair.ann), await open(pair.bob)];
    const original = await send(annWs, pair.relation, 'hello once', 'cid-lost');
    await bobWs.waitForPush(isMessage(original.msg_id), 'the original', 20_000);

    if (E2E_TARGET === 'standalone') {
      // Its cache is the process's memory: only a restart loses it (and closes the sockets).
      await stack.restart!();
      [annWs, bobWs] = [await open(pair.ann), await open(pair.bob)];
    } else {
      // Everything of the suite, as FLUSHALL: the claims, the epoch beside them, presence.
      const dropped = await dropRedisKeys(stack);
      expect(dropped).toContain(`${stack.ctx!.redisPrefix}cache:send-dedup-epoch`);
      expect(dropped.filter((k) => k.includes(`send-dedup:${pair.ann.accountId}:`))).toEqual([
        `${stack.ctx!.redisPrefix}cache:send-dedup:${pair.ann.accountId}:cid-lost`,
      ]);
      // Pushes to bob resume once his gateway announced its sockets again (tested below);
      // wait for that, so that what follows is pushed.
      await waitFor(() => redisHas(stack, `presence:account:${pair.bob.accountId}`), {
        timeoutMs: 10_000,
        what: "bob's presence announced again",
      });
    }

    expect(await send(annWs, pair.relation, 'hello once', 'cid-lost')).toEqual(original);
    // A resend from another socket of the same account is answered the same way.
    const annOther = await open(pair.ann);
    expect(await send(annOther, pair.relation, 'hello once', 'cid-lost')).toEqual(original);
    const fresh = await send(annWs, pair.relation, 'a new one', 'cid-new');
    expect(fresh.msg_id).toBeGreaterThan(original.msg_id);

    const sentinel = await settle(annWs, bobWs, pair.relation, 'lost');
    const pushed = pushedIds(bobWs);
    // The original was pushed once, before the loss; the resends pushed nothing. On the
    // standalone target bob's socket is a new one, opened after the restart.
    const before = E2E_TARGET === 'standalone' ? [] : [original.msg_id];
    expect(pushed).toEqual([...before, fresh.msg_id, sentinel.msg_id]);
    expect((await history(pair)).filter(([, content]) => content !== '成为好友')).toEqual([
      [original.msg_id, 'hello once'],
      [fresh.msg_id, 'a new one'],
      [sentinel.msg_id, 'sentinel lost'],
    ]);
  }, 180_000);

  // The standalone server's presence is in its own memory: it loses it only with its sockets.
  (E2E_TARGET === 'distributed' ? it : it.skip)(
    'shows a socket that stayed connected through a Redis flush online again within a heartbeat',
    async () => {
      const pair = await befriend(stack, 'presence');
      const [annWs, bobWs] = [await open(pair.ann), await open(pair.bob)];
      await settle(annWs, bobWs, pair.relation, 'before');

      const dropped = await dropRedisKeys(stack, 'presence:');
      expect(dropped).toContain(`${stack.ctx!.redisPrefix}presence:account:${pair.bob.accountId}`);
      const flushedAt = Date.now();
      // What a friend's message reaches tells whether bob counts as online: send one every
      // 200 ms until one arrives. Heartbeats come every second (a third of the 3 s TTL).
      let n = 0;
      const sent: number[] = [];
      const reached = await waitFor(
        async () => {
          sent.push((await send(annWs, pair.relation, `probe ${++n}`, `probe-${n}`)).msg_id);
          await new Promise((r) => setTimeout(r, 200));
          return bobWs.pushes.some((p) => sent.some((id) => isMessage(id)(p)));
        },
        { timeoutMs: 15_000, intervalMs: 0, what: 'a push to bob after the flush' },
      );
      expect(reached).toBe(true);
      const elapsedMs = Date.now() - flushedAt;
      expect(elapsedMs).toBeLessThan(3000 + 2000);
      expect(await redisHas(stack, `presence:account:${pair.bob.accountId}`)).toBe(true);
      // Every probe was stored, whether or not it was pushed.
      const stored = (await history(pair)).map(([id]) => id);
      expect(sent.every((id) => stored.includes(id))).toBe(true);
    },
    30_000,
  );
});

describe('a client_msg_id reused after the dedup window', () => {
  const WINDOW_MS = 3000;
  let stack: TargetStack;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    stack = await startTargetStack(
      'e2e_send_dedup_window',
      { GATEWAY_SEND_DEDUP_WINDOW: `${WINDOW_MS}ms` },
      { gateways: 1, workers: true },
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(sockets.map((ws) => ws.close()));
    await stack?.stop();
  });

  it('is a new message, stored and pushed, while a resend within the window is not', async () => {
    const pair = await befriend(stack, 'window');
    const [annWs, bobWs] = [await connect(stack, pair.ann), await connect(stack, pair.bob)];
    sockets.push(annWs, bobWs);
    const first = await send(annWs, pair.relation, 'morning', 'cid-daily');
    expect(await send(annWs, pair.relation, 'morning', 'cid-daily')).toEqual(first);
    await bobWs.waitForPush(isMessage(first.msg_id), 'the first', 20_000);

    const windowEnds = Date.parse(first.create_at) + WINDOW_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, windowEnds - Date.now()) + 200));
    const reuse = await send(annWs, pair.relation, 'morning again', 'cid-daily');
    expect(reuse.msg_id).toBeGreaterThan(first.msg_id);
    expect(Date.parse(reuse.create_at)).toBeGreaterThanOrEqual(windowEnds);
    await bobWs.waitForPush(isMessage(reuse.msg_id), 'the reuse', 20_000);

    const sentinel = await settle(annWs, bobWs, pair.relation, 'window');
    const pushed = pushedIds(bobWs);
    expect(pushed).toEqual([first.msg_id, reuse.msg_id, sentinel.msg_id]);
    expect((await history(pair)).filter(([, content]) => content !== '成为好友')).toEqual([
      [first.msg_id, 'morning'],
      [reuse.msg_id, 'morning again'],
      [sentinel.msg_id, 'sentinel window'],
    ]);
  });
});
