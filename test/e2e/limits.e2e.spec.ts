import { ErrorCode } from '@chat/protocol';
import { waitFor, WsClient } from '@chat/testing';
import { ok } from './support/http';
import { openSession, type Session } from './support/session';
import { E2E_TARGET, startTargetStack, type TargetStack } from './support/target';

const PER_ACCOUNT = 3;
const PER_ADDRESS = 4;
/** Messages per account per window: the window is long enough for a slow machine. */
const SEND_COUNT = 5;
const SEND_WINDOW_MS = 5000;
const PRESENCE_TTL_MS = 3000;

/** The close code of a socket refused by the per-account limit (docs/limits.md). */
const CLOSE_TOO_MANY_CONNECTIONS = 4429;

/** The SIGKILL case needs a gateway process of its own to kill. */
const itDistributed = E2E_TARGET === 'distributed' ? it : it.skip;

/**
 * The gateway's limits against one account or one address taking more than its share
 * (docs/limits.md): sockets per account and per client address, counted over every
 * gateway, and messages per account. Two gateways as separate processes on Redis, or the
 * standalone server. Every socket names its client address in X-Forwarded-For (the test
 * connects from loopback, a trusted hop by default) so that the limits are set apart per
 * case; one case counts the real loopback address.
 */
describe('limits per account and per address', () => {
  let stack: TargetStack;
  const opened: WsClient[] = [];
  let nextAddress = 0;
  /** An address of the documentation range no other case uses. */
  const freshAddress = () => `198.51.100.${++nextAddress}`;

  beforeAll(async () => {
    stack = await startTargetStack(
      'e2e_limits',
      {
        GATEWAY_MAX_CONNECTIONS_PER_ACCOUNT: String(PER_ACCOUNT),
        GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
        GATEWAY_SEND_RATE: JSON.stringify([{ Count: SEND_COUNT, Window: `${SEND_WINDOW_MS}ms` }]),
        GATEWAY_PRESENCE_TTL: `${PRESENCE_TTL_MS}ms`,
        // Unauthenticated sockets hold their address's places for a whole case.
        GATEWAY_AUTH_TIMEOUT: '60s',
      },
      { gateways: 2, workers: true },
    );
  }, 180_000);

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((ws) => ws.close()));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const gw = (i: number) => stack.gateways[i % stack.gateways.length].wsUrl;

  /** Opens a socket from `address` (X-Forwarded-For; none: the real loopback address). */
  async function connect(url: string, address?: string, token?: string): Promise<WsClient> {
    const ws = await WsClient.connect(url, {
      token,
      headers: address ? { 'X-Forwarded-For': address } : undefined,
    });
    opened.push(ws);
    return ws;
  }

  /** The upgrade's answer when it is refused (the error `ws` gives), else undefined. */
  async function refusedUpgrade(url: string, address?: string): Promise<string | undefined> {
    try {
      await connect(url, address);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  async function authenticated(url: string, token: string): Promise<WsClient> {
    const ws = await connect(url, freshAddress());
    const reply = await ws.request('auth', { token });
    expect(reply.status_code).toBe(0);
    return ws;
  }

  let people = 0;
  const person = (name: string) =>
    openSession(stack, `${name}${++people}.limits@example.com`, `${name}${people}`);

  describe('sockets per account', () => {
    it('refuses the next socket of an account at its limit on any gateway, and serves the others', async () => {
      const ann = await person('ann');
      const held = [];
      for (let i = 0; i < PER_ACCOUNT; i++) held.push(await authenticated(gw(i), ann.accountToken));

      // By an auth frame: the reply says why, then the socket is closed with 4429.
      const byFrame = await connect(gw(0), freshAddress());
      const refused = await byFrame.request('auth', { token: ann.accountToken });
      expect(refused.status_code).toBe(ErrorCode.TooManyRequests);
      expect(refused.status_msg).toMatch(/too many connections/);
      expect(await byFrame.closed).toEqual({
        code: CLOSE_TOO_MANY_CONNECTIONS,
        reason: 'too many connections',
      });

      // By a token at the upgrade: an error push, then the same close.
      const byUpgrade = await connect(gw(1), freshAddress(), ann.accountToken);
      expect(await byUpgrade.closed).toMatchObject({ code: CLOSE_TOO_MANY_CONNECTIONS });
      expect(byUpgrade.pushes).toEqual([
        {
          event: 'error',
          data: { status_code: ErrorCode.TooManyRequests, status_msg: expect.any(String) },
        },
      ]);

      // The sockets held are still served.
      for (const ws of held) {
        expect(ws.isOpen).toBe(true);
        expect((await ws.request('ping')).status_code).toBe(0);
      }
    });

    it('admits a new socket once one of the account’s sockets closed', async () => {
      const ann = await person('ann');
      const held = [];
      for (let i = 0; i < PER_ACCOUNT; i++) held.push(await authenticated(gw(i), ann.accountToken));
      await held[0].close();
      // The place comes back when the gateway has seen the close: a few tries at most.
      const replacement = await waitFor(
        async () => {
          const ws = await connect(gw(1), freshAddress());
          const reply = await ws.request('auth', { token: ann.accountToken });
          return reply.status_code === 0 ? ws : undefined;
        },
        { timeoutMs: 5000, intervalMs: 100, what: 'a socket admitted after a close' },
      );
      expect((await replacement.request('ping')).status_code).toBe(0);
      // And the account is at its limit again.
      const over = await connect(gw(0), freshAddress());
      expect((await over.request('auth', { token: ann.accountToken })).status_code).toBe(
        ErrorCode.TooManyRequests,
      );
    });

    itDistributed(
      'stops counting the sockets of a gateway killed with SIGKILL within the presence TTL',
      async () => {
        const bea = await person('bea');
        const doomed = await stack.startGateway(3);
        for (let i = 0; i < PER_ACCOUNT; i++) await authenticated(doomed.wsUrl, bea.accountToken);
        const probe = async () => {
          const ws = await connect(gw(0), freshAddress());
          return (await ws.request('auth', { token: bea.accountToken })).status_code;
        };
        expect(await probe()).toBe(ErrorCode.TooManyRequests);

        await doomed.app.stop('SIGKILL');
        const killedAt = Date.now();
        await waitFor(async () => (await probe()) === 0, {
          timeoutMs: PRESENCE_TTL_MS + 5000,
          intervalMs: 200,
          what: 'the killed gateway’s sockets to stop counting',
        });
        // Bounded by the heartbeat TTL (plus the probes' own round trips).
        expect(Date.now() - killedAt).toBeLessThan(PRESENCE_TTL_MS + 2000);
      },
      60_000,
    );
  });

  describe('sockets per address', () => {
    it('answers 429 to the upgrade past the limit, over every gateway, per address', async () => {
      const address = '203.0.113.7';
      for (let i = 0; i < PER_ADDRESS; i++) await connect(gw(i), address);
      expect(await refusedUpgrade(gw(0), address)).toMatch(/429/);
      expect(await refusedUpgrade(gw(1), address)).toMatch(/429/);
      // Another address is counted apart, and the sockets held are served.
      await connect(gw(0), '203.0.113.8');
      for (const ws of opened) expect((await ws.request('ping')).status_code).toBe(0);

      // A close gives the place back.
      await opened[0].close();
      await waitFor(async () => (await refusedUpgrade(gw(1), address)) === undefined, {
        timeoutMs: 5000,
        intervalMs: 100,
        what: 'an upgrade admitted after a close',
      });
      expect(await refusedUpgrade(gw(0), address)).toMatch(/429/);
    });

    it('counts IPv6 clients per /64', async () => {
      for (let i = 0; i < PER_ADDRESS; i++) await connect(gw(i), `2001:db8:7:1::${i + 1}`);
      expect(await refusedUpgrade(gw(0), '2001:db8:7:1:ffff:ffff:ffff:ffff')).toMatch(/429/);
      expect(await refusedUpgrade(gw(1), '2001:db8:7:2::1')).toBeUndefined();
    });

    it('counts the real client address when no proxy names another', async () => {
      for (let i = 0; i < PER_ADDRESS; i++) await connect(gw(i));
      expect(await refusedUpgrade(gw(0))).toMatch(/429/);
    });
  });

  describe('messages per account', () => {
    let dan: Session;
    let eve: Session;
    let relation: number;

    beforeAll(async () => {
      [dan, eve] = [await person('dan'), await person('eve')];
      relation = await dan.befriend(eve);
    });

    /** The relation's stored messages from its members (not the system's), oldest first. */
    async function stored(): Promise<{ id: number; msg_content: string }[]> {
      const r = ok(
        await eve.api.post('/api/msg/sync', {
          token: eve.accountToken,
          body: { relations: [{ relation_id: relation, after_seq: 0 }], limit: 100 },
        }),
      );
      return r.list[0].messages.filter((m: { notify_type: string }) => m.notify_type === 'common');
    }

    it('refuses sends past the rate with 1004 and a retry hint, stores none of them, and keeps the socket', async () => {
      // Two sockets on two gateways: the rate is the account's, wherever it sends from.
      const sockets = [
        await authenticated(gw(0), dan.accountToken),
        await authenticated(gw(1), dan.accountToken),
      ];
      const replies = [];
      for (let i = 0; i < SEND_COUNT + 3; i++) {
        replies.push(
          await sockets[i % 2].request('send_msg', {
            relation_id: relation,
            msg_content: `rate ${i}`,
            client_msg_id: `rate-${i}`,
          }),
        );
      }
      const acked = replies.filter((r) => r.status_code === 0);
      const refused = replies.filter((r) => r.status_code !== 0);
      expect(acked).toHaveLength(SEND_COUNT);
      expect(refused).toHaveLength(3);
      for (const r of refused) {
        expect(r.status_code).toBe(ErrorCode.TooManyRequests);
        expect(r.status_msg).toMatch(/too many messages/);
        expect(r.data.retry_after_ms).toBeGreaterThan(0);
        expect(r.data.retry_after_ms).toBeLessThanOrEqual(SEND_WINDOW_MS);
      }
      for (const ws of sockets) expect(ws.isOpen).toBe(true);
      // Another account has its own rate.
      const eveWs = await authenticated(gw(0), eve.accountToken);
      const other = await eveWs.request('send_msg', { relation_id: relation, msg_content: 'eve' });
      expect(other.status_code).toBe(0);

      // After the wait it names, the first refused message passes with its client_msg_id.
      await new Promise((resolve) => setTimeout(resolve, refused[0].data.retry_after_ms));
      const retried = await sockets[1].request('send_msg', {
        relation_id: relation,
        msg_content: `rate ${SEND_COUNT}`,
        client_msg_id: `rate-${SEND_COUNT}`,
      });
      expect(retried.status_code).toBe(0);

      // One relation's messages are stored in order: once the retried one is there, any
      // refused one that had been produced would be there too.
      const want = [...acked, other, retried].map((r) => r.data.msg_id as number);
      const messages = await waitFor(
        async () => {
          const list = await stored();
          return list.some((m) => m.id === retried.data.msg_id) ? list : undefined;
        },
        { timeoutMs: 20_000, what: 'the retried message in history' },
      );
      const byId = (a: number, b: number) => a - b;
      expect(messages.map((m) => m.id).sort(byId)).toEqual([...want].sort(byId));
      expect(messages.map((m) => m.msg_content)).not.toContain(`rate ${SEND_COUNT + 1}`);
      expect(messages.map((m) => m.msg_content)).not.toContain(`rate ${SEND_COUNT + 2}`);
    });
  });

  it('counts the refusals of each limit on the ops port', async () => {
    // The gateways still running (the standalone server: its one ops port), after the
    // refusals of the cases above: 3 sends, 3 sockets per account, 5 upgrades at least.
    const apps = [...new Set(stack.gateways.map((g) => g.app))];
    const total = { send_rate: 0, connections_per_account: 0, connections_per_address: 0 };
    for (const app of apps) {
      const text = await (await fetch(`${app.opsUrl}/metrics`)).text();
      for (const m of text.matchAll(/^chat_gateway_limit_refusals_total\{([^}]*)\} (\d+)$/gm)) {
        const limit = /limit="([a-z_]+)"/.exec(m[1])?.[1] as keyof typeof total;
        total[limit] += Number(m[2]);
      }
    }
    expect(total.send_rate).toBeGreaterThanOrEqual(3);
    expect(total.connections_per_account).toBeGreaterThanOrEqual(3);
    expect(total.connections_per_address).toBeGreaterThanOrEqual(5);
  });
});
