import Redis from 'ioredis';
import { waitFor } from '@chat/testing';
import { ok } from '../e2e/support/http';
import { startStack, type Stack } from '../e2e/support/stack';
import { openSession, type Session } from '../e2e/support/session';
import { TestSocket } from '../e2e/support/socket';

/**
 * A gateway dies without a goodbye: its presence entries stop counting once its heartbeat
 * expires, and its clients, reconnecting to the other gateway, get everything they missed
 * from the sync endpoint.
 */
describe('gateway killed', () => {
  let stack: Stack;
  let ann: Session;
  let bob: Session;
  let relation: number;

  beforeAll(async () => {
    stack = await startStack(
      'fault_gateway',
      { GATEWAY_PRESENCE_TTL: '3s' },
      { gateways: 2, workers: true },
    );
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.gw@example.com', 'ann'),
      openSession(stack, 'bob.gw@example.com', 'bob'),
    ]);
    relation = await ann.befriend(bob);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('expires the dead node’s presence and lets its clients catch up by sequence', async () => {
    const [gw1, gw2] = stack.gateways;
    const annWs = await TestSocket.open(gw1.wsUrl, ann.accountToken);
    let bobWs = await TestSocket.open(gw2.wsUrl, bob.accountToken);
    const first = await annWs.request('send_msg', { relation_id: relation, msg_content: 'before' });
    const push = await bobWs.waitForPush(
      (p) => p.data?.msg_info?.id === first.data.msg_id,
      'the first message',
    );
    const lastSeq: number = push.data.msg_info.seq;

    const redis = new Redis(stack.ctx.redisUrl);
    const presenceKeys = async () =>
      (await redis.keys(`${stack.ctx.redisPrefix}*`)).filter((k) => /presence|node/.test(k));
    expect((await presenceKeys()).length).toBeGreaterThan(0);

    await gw2.app.stop('SIGKILL');
    await bobWs.closed;
    const missed: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ack = await annWs.request('send_msg', {
        relation_id: relation,
        msg_content: `while away ${i}`,
      });
      expect(ack.status_code).toBe(0);
      missed.push(ack.data.msg_id);
    }
    // The dead node's liveness key expires with its heartbeat TTL.
    const liveness = `${stack.ctx.redisPrefix}presence:node:gw2`;
    await waitFor(async () => (await redis.exists(liveness)) === 0, {
      timeoutMs: 15_000,
      what: 'gw2 liveness to expire',
    });

    bobWs = await TestSocket.open(gw1.wsUrl, bob.accountToken);
    const synced = await waitFor(
      async () => {
        const r = ok(
          await bob.api.post('/api/msg/sync', {
            token: bob.accountToken,
            body: { relations: [{ relation_id: relation, after_seq: lastSeq }] },
          }),
        );
        const ids = r.list[0].messages.map((m: { id: number }) => m.id);
        return ids.length === missed.length ? r.list[0].messages : undefined;
      },
      { timeoutMs: 20_000, what: 'the missed messages through sync' },
    );
    expect(synced.map((m: { id: number }) => m.id)).toEqual(missed);
    expect(synced.map((m: { seq: number }) => m.seq)).toEqual(
      missed.map((_, i) => lastSeq + 1 + i),
    );

    // Live again on the surviving gateway.
    const after = await annWs.request('send_msg', {
      relation_id: relation,
      msg_content: 'welcome back',
    });
    await bobWs.waitForPush(
      (p) => p.data?.msg_info?.id === after.data.msg_id,
      'a push after reconnecting',
    );
    // The push lookup met bob's entry on the dead node and dropped it: only gw1 is left.
    const bobNodes = Object.values(
      await redis.hgetall(`${stack.ctx.redisPrefix}presence:account:${bob.accountId}`),
    );
    expect(bobNodes).toEqual(['gw1']);
    redis.disconnect();
    await Promise.all([annWs.close(), bobWs.close()]);
  }, 120_000);
});
