import path from 'node:path';
import { Redis } from 'ioredis';
import { TokenService } from '@chat/auth';
import { createBus, type Bus, type BusRecord } from '@chat/bus';
import { createCacheAdapters, type CacheAdapters } from '@chat/cache';
import { loadConfig } from '@chat/config';
import {
  MessageStoreRepository,
  PgAccountRepository,
  PgMembershipRepository,
  PgMessageLookupRepository,
  PgPresenceSettingsRepository,
  type Database,
  newMessageRow,
  type NewMessageRow,
} from '@chat/db';
import { openMigratedDatabase, TestData } from '@chat/db/testing';
import { idBoundForTime, snowflakeTime } from '@chat/ids';
import { createLogger } from '@chat/logger';
import {
  TOPICS,
  pushTopic,
  type ChatEvent,
  type DeliveryRecord,
  type MessageRecord,
  type ReadRecord,
} from '@chat/protocol';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import { start, type RunningGateway } from './start';
import { GatewayStore } from './store/gateway-store';
import { TestClient } from './testing/ws-client';

const TOKEN_KEY = 'gateway-test-key-0123456789-abcdefghij';
const MACHINE_ID = 7;
const NODE = `gw${MACHINE_ID}`;
const REMOTE_NODE = 'gw-remote';
const FRAMES_PER_SECOND = 20;
const AUTH_TIMEOUT_MS = 1000;

describe('gateway', () => {
  const log = createLogger({ name: 'gateway-test', level: 'silent' });
  let ctx: SuiteContext;
  let db: Database;
  let data: TestData;
  let gateway: RunningGateway;
  let bus: Bus;
  let cache: CacheAdapters;
  let url: string;
  const clients: TestClient[] = [];
  const observed = {
    messages: [] as BusRecord[],
    reads: [] as BusRecord[],
    remote: [] as BusRecord[],
  };
  const tokens = new TokenService({
    key: TOKEN_KEY,
    userTokenTtlMs: 3_600_000,
    accountTokenTtlMs: 3_600_000,
    headerName: 'Authorization',
    scheme: 'bearer',
  });
  const token = (accountId: number, epoch = 0) => tokens.issue('account', accountId, epoch).token;

  const connect = async (opts: { token?: string; headers?: Record<string, string> } = {}) => {
    const client = await TestClient.connect(url, opts);
    clients.push(client);
    return client;
  };
  /** A socket authenticated as `accountId` through the upgrade query. */
  const online = async (accountId: number) => {
    const client = await connect({ token: token(accountId) });
    expect((await client.request('ping')).status_code).toBe(0);
    await waitFor(async () => (await connIds(accountId)).length > 0, { what: 'presence' });
    return client;
  };
  const connIds = async (accountId: number) =>
    ((await cache.presence.lookup([accountId])).get(accountId) ?? [])
      .filter((e) => e.nodeId === NODE)
      .map((e) => e.connId);
  const parsed = <T>(records: BusRecord[]) =>
    records.map((r) => JSON.parse(r.value.toString()) as T);
  const deliver = (record: DeliveryRecord) =>
    bus.publish(pushTopic(NODE), String(record.accounts[0]), JSON.stringify(record));

  beforeAll(async () => {
    ctx = await createSuiteContext('gateway');
    db = await openMigratedDatabase(ctx.databaseUrl);
    data = new TestData(db.em.fork());
    const config = loadConfig({
      dir: path.resolve(__dirname, '../../../config/app'),
      env: {},
      overrides: {
        App: { MachineID: MACHINE_ID },
        Server: { Host: '127.0.0.1', ShutdownTimeout: '10s', GatewayOpsPort: 0 },
        Gateway: {
          AuthTimeout: `${AUTH_TIMEOUT_MS}ms`,
          FramesPerSecond: FRAMES_PER_SECOND,
          MaxBufferedBytes: 65536,
          PresenceTtl: '3s',
        },
        Postgresql: { Url: ctx.databaseUrl, PoolMax: 4 },
        Redis: { Url: ctx.redisUrl, KeyPrefix: ctx.redisPrefix },
        Kafka: { Brokers: ctx.kafkaBrokers.join(','), TopicPrefix: ctx.topicPrefix, Partitions: 2 },
        Token: { Key: TOKEN_KEY },
      },
    });
    cache = createCacheAdapters({ kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix }, log);
    bus = createBus(
      {
        kind: 'kafka',
        brokers: ctx.kafkaBrokers,
        clientId: 'gateway-test',
        topicPrefix: ctx.topicPrefix,
        groupPrefix: ctx.groupPrefix,
        partitions: 2,
        replicationFactor: 1,
        consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 },
      },
      log,
    );
    gateway = await start(config, log, { port: 0 });
    url = `ws://127.0.0.1:${gateway.port}/ws`;
    await bus.subscribe(
      'test.observer',
      [TOPICS.messages, TOPICS.reads, pushTopic(REMOTE_NODE)],
      async (records) => {
        for (const r of records) {
          if (r.topic === TOPICS.messages) observed.messages.push(r);
          else if (r.topic === TOPICS.reads) observed.reads.push(r);
          else observed.remote.push(r);
        }
      },
    );
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await gateway?.stop();
    await bus?.close();
    await cache?.close();
    await db?.close();
    await ctx?.cleanup();
  });

  it('answers GET /healthz with 200', async () => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serves /readyz and /metrics on its ops port only, never on the public one', async () => {
    expect(gateway.opsPort).toEqual(expect.any(Number));
    expect(gateway.opsPort).not.toBe(gateway.port);
    for (const path of ['/readyz', '/metrics']) {
      const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`);
      expect([path, res.status, await res.text()]).toEqual([path, 404, 'not found']);
    }
    const ops = `http://127.0.0.1:${gateway.opsPort}`;
    const ready = await fetch(`${ops}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', redis: 'ok', kafka: 'ok' },
    });
    const metrics = await fetch(`${ops}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^chat_gateway_open_sockets\{app="gateway"\} \d+$/m);
  });

  describe('authentication', () => {
    it('authenticates with a token in the query or a Bearer header', async () => {
      const a = await data.account();
      const byQuery = await connect({ token: token(a.id) });
      const byHeader = await connect({ headers: { Authorization: `Bearer ${token(a.id)}` } });
      for (const client of [byQuery, byHeader]) {
        // read_msg is served only to an authenticated socket (2007 otherwise).
        const reply = await client.request('read_msg', { relation_id: 999_999, msg_ids: [1] });
        expect(reply.status_code).toBe(2009);
      }
      await waitFor(async () => (await connIds(a.id)).length === 2, {
        what: 'two presence entries',
      });
    });

    it.each([
      ['an invalid token', () => 'not-a-token', 2008],
      ['a user token', () => tokens.issue('user', 1, 0).token, 2008],
      [
        'an expired token',
        () =>
          new TokenService(
            { ...tokenSettings(), accountTokenTtlMs: 1000 },
            () => Date.now() - 60_000,
          ).issue('account', 1, 0).token,
        2013,
      ],
      ['a token of a missing account', () => token(987_654_321), 2010],
    ])('pushes an error and closes 4401 for %s at upgrade', async (_what, makeToken, code) => {
      const client = await connect({ token: makeToken() });
      expect((await client.waitClosed()).code).toBe(4401);
      expect(client.pushes).toEqual([
        { event: 'error', data: { status_code: code, status_msg: expect.any(String) } },
      ]);
    });

    it('rejects a malformed authorization header the same way', async () => {
      const client = await connect({ headers: { Authorization: 'Basic abc' } });
      expect((await client.waitClosed()).code).toBe(4401);
      expect(client.pushes[0]).toMatchObject({ event: 'error', data: { status_code: 2008 } });
    });

    it('serves only auth and ping before authentication, then binds one account', async () => {
      const [a, b] = [await data.account(), await data.account()];
      const client = await connect();
      expect(
        (await client.request('send_msg', { relation_id: 1, msg_content: 'x' })).status_code,
      ).toBe(2007);
      expect((await client.request('read_msg', { relation_id: 1, msg_ids: [1] })).status_code).toBe(
        2007,
      );
      expect((await client.request('ping')).status_code).toBe(0);
      expect((await client.request('auth', { token: 'bad' })).status_code).toBe(2008);
      expect((await client.request('auth', { token: token(987_654_322) })).status_code).toBe(2010);
      expect((await client.request('auth', {})).status_code).toBe(1001);

      const ok = await client.request('auth', { token: token(a.id) });
      expect(ok).toMatchObject({
        status_code: 0,
        data: { account_id: a.id, expired_at: expect.any(String) },
      });
      const other = await client.request('auth', { token: token(b.id) });
      expect(other.status_code).toBe(2008);
      expect(await connIds(a.id)).toHaveLength(1);
      expect(await connIds(b.id)).toHaveLength(0);
      // Still bound to a: a relation of a's is served.
      const { relation } = await data.friendship(a, b);
      expect(
        (await client.request('send_msg', { relation_id: relation.id, msg_content: 'hi' }))
          .status_code,
      ).toBe(0);
    });

    it('closes a socket that does not authenticate within AuthTimeout with 4401', async () => {
      const a = await data.account();
      const idle = await connect();
      const late = await connect();
      expect((await late.request('auth', { token: 'bad' })).status_code).toBe(2008);
      expect((await late.request('auth', { token: token(a.id) })).status_code).toBe(0);
      expect((await idle.waitClosed(AUTH_TIMEOUT_MS + 5000)).code).toBe(4401);
      await new Promise((resolve) => setTimeout(resolve, AUTH_TIMEOUT_MS));
      expect((await late.request('ping')).status_code).toBe(0);
      expect(late.closed).toBeUndefined();
    });

    it('extends the expiry on re-auth, and answers 2013 then closes 4401 once the token expired', async () => {
      const a = await data.account();
      const short = new TokenService({ ...tokenSettings(), accountTokenTtlMs: 2000 }).issue(
        'account',
        a.id,
        0,
      );
      const expiring = await connect();
      const refreshed = await connect();
      expect((await expiring.request('auth', { token: short.token })).status_code).toBe(0);
      expect((await refreshed.request('auth', { token: short.token })).data).toEqual({
        account_id: a.id,
        expired_at: short.expired_at,
      });
      const again = await refreshed.request('auth', { token: token(a.id) });
      expect(Date.parse(again.data?.expired_at as string)).toBeGreaterThan(
        Date.parse(short.expired_at),
      );

      await waitFor(() => Date.now() > Date.parse(short.expired_at) + 50, { timeoutMs: 5000 });
      expiring.fire('ping');
      expect((await expiring.waitClosed()).code).toBe(4401);
      expect(expiring.pushes).toContainEqual({
        event: 'error',
        data: { status_code: 2013, status_msg: expect.any(String) },
      });
      expect((await refreshed.request('ping')).status_code).toBe(0);
    });
  });

  describe('ended sessions', () => {
    const revoke = (accountId: number, epoch: number, push?: ChatEvent['push']) => {
      const event: ChatEvent = {
        id: `revoke-${accountId}-${epoch}`,
        at: new Date().toISOString(),
        ...(push ? { push } : {}),
        effects: { tokensRevoked: [{ accountId, epoch }] },
      };
      return bus.publish(TOPICS.events, `account:${accountId}`, JSON.stringify(event));
    };
    const expectEnded = async (client: TestClient, message: string) => {
      expect((await client.waitClosed(5000)).code).toBe(4401);
      expect(client.pushes).toContainEqual({
        event: 'error',
        data: { status_code: 2013, status_msg: message },
      });
    };

    it('closes a socket at its token’s expiry though it sends nothing, and not a refreshed one', async () => {
      const a = await data.account();
      const short = new TokenService({ ...tokenSettings(), accountTokenTtlMs: 2000 });
      const silent = await connect({ token: short.issue('account', a.id, 0).token });
      const refreshed = await connect({ token: short.issue('account', a.id, 0).token });
      expect((await silent.request('ping')).status_code).toBe(0);
      expect((await refreshed.request('auth', { token: token(a.id) })).status_code).toBe(0);
      const closed = await silent.waitClosed(5000);
      expect(closed.code).toBe(4401);
      expect(silent.pushes).toContainEqual({
        event: 'error',
        data: { status_code: 2013, status_msg: 'token expired' },
      });
      expect(refreshed.closed).toBeUndefined();
      expect((await refreshed.request('ping')).status_code).toBe(0);
    });

    it('closes the sockets of an ended session when chat.events announces it, and only those', async () => {
      const [a, b] = [await data.account(), await data.account()];
      const old = await online(a.id);
      const renewed = await online(a.id);
      expect((await renewed.request('auth', { token: token(a.id, 1) })).status_code).toBe(0);
      const other = await online(b.id);
      await revoke(a.id, 1);
      await expectEnded(old, 'token revoked');
      // A redelivered or repeated record closes nothing more.
      await revoke(a.id, 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(renewed.closed).toBeUndefined();
      expect(other.closed).toBeUndefined();
      expect((await renewed.request('ping')).status_code).toBe(0);
      expect((await other.request('ping')).status_code).toBe(0);
      await waitFor(async () => (await connIds(a.id)).length === 1, { what: 'presence left' });
    });

    it('writes the push of the event that ended the session just before the error, to those sockets only', async () => {
      const [a, b] = [await data.account(), await data.account()];
      const old = await online(a.id);
      const renewed = await online(a.id);
      expect((await renewed.request('auth', { token: token(a.id, 1) })).status_code).toBe(0);
      const other = await online(b.id);
      const email = { email: 'moved@example.com' };
      await revoke(a.id, 1, { event: 'update_email', data: email, to: [a.id, b.id] });
      expect((await old.waitClosed(5000)).code).toBe(4401);
      // Leaving out the presence pushes between the account's two sockets.
      const presence = ['account_login', 'account_logout'];
      expect(old.pushes.filter((p) => !presence.includes(p.event))).toEqual([
        { event: 'update_email', data: email },
        { event: 'error', data: { status_code: 2013, status_msg: 'token revoked' } },
      ]);
      // The others' deliveries are the notifier's (not running here): nothing from this path.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(renewed.pushes.filter((p) => p.event === 'update_email')).toEqual([]);
      expect(other.pushes).toEqual([]);
    });

    it('refuses a token of an ended session it saw, even before the cache says so', async () => {
      const a = await data.account();
      const witness = await online(a.id);
      await revoke(a.id, 1);
      // The witness closing shows the gateway has handled the record; the shared cache was
      // never told (the api writes it), so only the gateway's memory refuses the old token.
      await expectEnded(witness, 'token revoked');
      const late = await connect();
      const reply = await late.request('auth', { token: token(a.id) });
      expect(reply).toMatchObject({ status_code: 2013, status_msg: 'token revoked' });
      expect((await late.request('auth', { token: token(a.id, 1) })).status_code).toBe(0);
    });

    it('refuses a token older than the account’s epoch in the shared cache (2013 at upgrade)', async () => {
      const a = await data.account();
      const epochs = cache.tokenEpochs({ ttlMs: 60_000 });
      await epochs.advance([{ kind: 'account', id: a.id, state: { epoch: 3, owner: a.userId } }]);
      const old = await connect({ token: token(a.id, 2) });
      expect((await old.waitClosed()).code).toBe(4401);
      expect(old.pushes).toEqual([
        { event: 'error', data: { status_code: 2013, status_msg: 'token revoked' } },
      ]);
      const current = await connect({ token: token(a.id, 3) });
      expect((await current.request('ping')).status_code).toBe(0);
      expect(current.closed).toBeUndefined();
    });
  });

  describe('frames', () => {
    it('answers malformed frames with error 1001 and keeps serving this socket and others', async () => {
      const a = await data.account();
      const { relation } = await data.friendship(a, a);
      const client = await online(a.id);
      const other = await online(a.id);
      client.sendRaw(Buffer.from('{"id":1,"event":"ping"}'), true);
      client.sendRaw('{"id":1,"event":');
      client.sendRaw('[1,2,3]');
      client.sendRaw('{"id":-1,"event":"ping"}');
      client.sendRaw('{"id":"7","event":"ping"}');
      const errors = () => client.pushes.filter((p) => p.event === 'error');
      await waitFor(() => errors().length >= 5, { what: 'five error pushes' });
      expect(errors().map((p) => p.data.status_code)).toEqual(Array(5).fill(1001));

      const unknown = await client.request('dance', {});
      expect(unknown).toMatchObject({
        status_code: 1001,
        status_msg: expect.stringContaining('event'),
      });
      const bad = await client.request('send_msg', { relation_id: relation.id, msg_content: '' });
      expect(bad.status_code).toBe(1001);
      expect(bad.status_msg).toContain('msg_content');
      expect(bad.data).toBeUndefined();

      expect((await client.request('ping')).status_code).toBe(0);
      expect((await other.request('ping')).status_code).toBe(0);
      expect(client.closed).toBeUndefined();
    });

    it('answers 1001 to an event that is not a string, never taking it for one', async () => {
      const a = await data.account();
      const client = await online(a.id);
      // `["ping"]` would read as "ping" if converted; `String()` of this object throws.
      client.sendRaw('{"id":41,"event":["ping"]}');
      client.sendRaw('{"id":42,"event":{"toString":1}}');
      client.sendRaw('{"id":43,"event":5,"data":{}}');
      for (const id of [41, 42, 43]) {
        const reply = await client.reply(id);
        expect(reply).toEqual({
          id,
          status_code: 1001,
          status_msg: 'parameters not valid: event: must be a string',
        });
      }
      expect((await client.request('ping')).status_code).toBe(0);
    });

    it('closes with 1009 on a frame larger than MaxFrameBytes, and only that socket', async () => {
      const a = await data.account();
      const big = await online(a.id);
      const other = await online(a.id);
      big.sendRaw(JSON.stringify({ id: 1, event: 'ping', data: { pad: 'x'.repeat(1024 * 1024) } }));
      expect((await big.waitClosed()).code).toBe(1009);
      expect((await other.request('ping')).status_code).toBe(0);
    });

    it('replies 1004 to frames past FramesPerSecond', async () => {
      const a = await data.account();
      const client = await online(a.id);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // a full bucket again
      const ids = Array.from({ length: FRAMES_PER_SECOND * 3 }, () => client.fire('ping'));
      const replies = await Promise.all(ids.map((id) => client.reply(id)));
      const codes = replies.map((r) => r.status_code);
      expect(codes.slice(0, FRAMES_PER_SECOND)).toEqual(Array(FRAMES_PER_SECOND).fill(0));
      expect(codes.filter((c) => c === 1004).length).toBeGreaterThanOrEqual(FRAMES_PER_SECOND);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await client.request('ping')).status_code).toBe(0);
    });
  });

  describe('send_msg', () => {
    it('acks with msg_id and create_at, the record being on chat.messages', async () => {
      const [a, b] = [await data.account(), await data.account()];
      const { relation } = await data.friendship(a, b);
      const client = await online(a.id);
      const reply = await client.request('send_msg', {
        relation_id: relation.id,
        msg_content: '你好 hello',
        msg_extend: { remind: [{ idx: 1, account_id: b.id }] },
      });
      expect(reply).toMatchObject({
        status_code: 0,
        data: { msg_id: expect.any(Number), create_at: expect.any(String) },
      });
      const msgId = reply.data?.msg_id as number;
      const record = await waitFor(
        () => observed.messages.find((r) => parsed<MessageRecord>([r])[0].id === msgId),
        {
          what: 'the record on chat.messages',
        },
      );
      expect(record.key).toBe(String(relation.id));
      expect(JSON.parse(record.value.toString())).toEqual({
        id: msgId,
        relation_id: relation.id,
        notify_type: 'common',
        msg_type: 'text',
        msg_content: '你好 hello',
        msg_extend: { remind: [{ idx: 1, account_id: b.id }] },
        file_id: null,
        account_id: a.id,
        rly_msg_id: null,
        client_msg_id: null,
        create_at: reply.data?.create_at,
        origin: { node: NODE, conn: (await connIds(a.id))[0] },
      });
    });

    it('refuses a sender that is not a member with 2009', async () => {
      const [a, b, c] = [await data.account(), await data.account(), await data.account()];
      const { relation } = await data.friendship(a, b);
      const client = await online(c.id);
      expect(
        (await client.request('send_msg', { relation_id: relation.id, msg_content: 'x' }))
          .status_code,
      ).toBe(2009);
    });

    it('checks the replied-to message: missing 5001, elsewhere 5004, revoked 5003', async () => {
      const [a, b] = [await data.account(), await data.account()];
      const { relation } = await data.friendship(a, b);
      const { relation: elsewhere } = await data.friendship(b, b);
      const target = await data.textMessage(relation, b, 'target');
      const foreign = await data.textMessage(elsewhere, b, 'foreign');
      const revoked = await data.textMessage(relation, b, 'revoked', { isRevoke: true });
      const client = await online(a.id);
      const send = (rly: number) =>
        client.request('send_msg', {
          relation_id: relation.id,
          msg_content: 're',
          rly_msg_id: rly,
        });
      const oldMissing = idBoundForTime(Date.now() - 3_600_000) + 1;
      expect((await send(oldMissing)).status_code).toBe(5001);
      expect((await send(foreign.id)).status_code).toBe(5004);
      expect((await send(revoked.id)).status_code).toBe(5003);
      const ok = await send(target.id);
      expect(ok.status_code).toBe(0);
      const record = await waitFor(() =>
        parsed<MessageRecord>(observed.messages).find((m) => m.id === ok.data?.msg_id),
      );
      expect(record.rly_msg_id).toBe(target.id);
      // rly_msg_id 0 is "not a reply".
      expect((await send(0)).status_code).toBe(0);
    });

    it('answers a resend of a client_msg_id with the original ack and produces one record', async () => {
      const a = await data.account();
      const { relation } = await data.friendship(a, a);
      const [one, two] = [await online(a.id), await online(a.id)];
      const msg = (client_msg_id: string) => ({
        relation_id: relation.id,
        msg_content: client_msg_id,
        client_msg_id,
      });

      const first = await one.request('send_msg', msg('dup-serial'));
      const resend = await one.request('send_msg', msg('dup-serial'));
      expect(first.status_code).toBe(0);
      expect(resend.data).toEqual(first.data);

      const [x, y] = await Promise.all([
        one.request('send_msg', msg('dup-concurrent')),
        two.request('send_msg', msg('dup-concurrent')),
      ]);
      expect(x.status_code).toBe(0);
      expect(y.data).toEqual(x.data);

      // Every record produced before the acks precedes this one in the relation's partition.
      const sentinel = await one.request('send_msg', msg('sentinel'));
      await waitFor(() =>
        parsed<MessageRecord>(observed.messages).some((m) => m.id === sentinel.data?.msg_id),
      );
      const all = parsed<MessageRecord>(observed.messages).filter(
        (m) => m.relation_id === relation.id,
      );
      expect(all.filter((m) => m.client_msg_id === 'dup-serial').map((m) => m.id)).toEqual([
        first.data?.msg_id,
      ]);
      expect(all.filter((m) => m.client_msg_id === 'dup-concurrent').map((m) => m.id)).toEqual([
        x.data?.msg_id,
      ]);
    });

    describe('after Redis lost the dedup claims', () => {
      /** What a FLUSHALL does to this suite's claims and the epoch beside them. */
      const flushDedupKeys = async () => {
        const raw = new Redis(ctx.redisUrl);
        try {
          const keys = await raw.keys(`${ctx.redisPrefix}cache:*`);
          expect(keys).toContain(`${ctx.redisPrefix}cache:send-dedup-epoch`);
          await raw.unlink(...keys);
        } finally {
          raw.disconnect();
        }
      };
      /** Stores records as the persister does (this suite runs no persister). */
      const persist = async (records: MessageRecord[]) => {
        const rows = records.map(newMessageRow);
        const result = await new MessageStoreRepository(db.em).store(rows);
        expect(result.stored).toHaveLength(rows.length);
      };
      const recordsOf = async (relationId: number, sentinelId: number) => {
        await waitFor(() =>
          parsed<MessageRecord>(observed.messages).some((m) => m.id === sentinelId),
        );
        return parsed<MessageRecord>(observed.messages).filter((m) => m.relation_id === relationId);
      };

      it('answers a resend with the stored original, produces nothing, and puts the ack back in Redis', async () => {
        const a = await data.account();
        const { relation } = await data.friendship(a, a);
        const client = await online(a.id);
        const msg = (client_msg_id: string) => ({
          relation_id: relation.id,
          msg_content: client_msg_id,
          client_msg_id,
        });
        const ack = async (clientMsgId: string) => {
          const reply = await client.request('send_msg', msg(clientMsgId));
          expect(reply.status_code).toBe(0);
          return reply.data as { msg_id: number; create_at: string };
        };
        const first = await ack('lost-1');
        const before = await recordsOf(relation.id, first.msg_id);
        await persist(before);

        await flushDedupKeys();
        expect(await ack('lost-1')).toEqual(first);
        // A key that was never used is still a new message.
        const fresh = await ack('lost-2');
        expect(fresh.msg_id).not.toBe(first.msg_id);

        const sentinel = await ack('lost-sentinel');
        const all = await recordsOf(relation.id, sentinel.msg_id);
        expect(all.filter((m) => m.client_msg_id === 'lost-1').map((m) => m.id)).toEqual([
          first.msg_id,
        ]);
        expect(all.filter((m) => m.client_msg_id === 'lost-2').map((m) => m.id)).toEqual([
          fresh.msg_id,
        ]);
        expect(await cache.cache.get(`send-dedup:${a.id}:lost-1`)).toEqual(first);
      });

      it('reads the newest stored message of each key within the bound, in one query', async () => {
        const [a, b] = [await data.account(), await data.account()];
        const { relation } = await data.friendship(a, b);
        const hour = 3_600_000;
        const t = Date.now();
        let n = 0;
        const at = (ms: number, accountId: number, clientMsgId: string): NewMessageRow => {
          const id = idBoundForTime(ms) + ++n;
          return {
            id,
            relationId: relation.id,
            notifyType: 'common',
            msgType: 'text',
            msgContent: clientMsgId,
            msgExtend: null,
            fileId: null,
            accountId,
            rlyMsgId: null,
            clientMsgId,
            createAt: snowflakeTime(id),
          };
        };
        const older = at(t - 3 * hour, a.id, 'k,"1"');
        const newer = at(t - 2 * hour, a.id, 'k,"1"');
        const others = at(t - 2 * hour, b.id, 'k,"1"');
        const stale = at(t - 5 * hour, a.id, 'k2');
        await new MessageStoreRepository(db.em).store([stale, older, newer, others]);

        const gatewayStore = new GatewayStore({
          accounts: new PgAccountRepository(db.em),
          memberships: new PgMembershipRepository(db.em),
          lookups: new PgMessageLookupRepository(db.em),
          presenceSettings: new PgPresenceSettingsRepository(db.em),
        });
        const keys = [
          { accountId: a.id, clientMsgId: 'k,"1"' },
          { accountId: a.id, clientMsgId: 'k2' },
          { accountId: a.id, clientMsgId: 'never' },
        ];
        expect(await gatewayStore.newestSends(keys, t - 4 * hour)).toEqual([
          {
            accountId: a.id,
            clientMsgId: 'k,"1"',
            msgId: newer.id,
            createAt: newer.createAt.toISOString(),
          },
        ]);
        expect(await gatewayStore.newestSends(keys, t - 2 * hour + 1)).toEqual([]);
        expect(await gatewayStore.anySendSince(t - 2 * hour)).toBe(true);
        expect(await gatewayStore.anySendSince(t + hour)).toBe(false);
      });
    });

    it('caches membership and drops it when chat.events announces a change', async () => {
      const [a, c] = [await data.account(), await data.account()];
      const { relation } = await data.group(a);
      const client = await online(c.id);
      const send = () =>
        client.request('send_msg', { relation_id: relation.id, msg_content: 'joined?' });
      expect((await send()).status_code).toBe(2009);
      await db.em
        .getConnection()
        .execute('insert into setting (account_id, relation_id) values (?, ?)', [
          c.id,
          relation.id,
        ]);
      // The cached list does not know yet.
      expect((await send()).status_code).toBe(2009);
      const event: ChatEvent = {
        id: `test-${relation.id}`,
        at: new Date().toISOString(),
        effects: { membershipChanged: [relation.id] },
      };
      await bus.publish(TOPICS.events, `relation:${relation.id}`, JSON.stringify(event));
      await waitFor(async () => (await send()).status_code === 0, {
        what: 'membership to be reloaded',
      });
    });
  });

  describe('read_msg', () => {
    it('moves the cursor to the largest id and produces the read record', async () => {
      const [a, b] = [await data.account(), await data.account()];
      const { relation } = await data.friendship(a, b);
      const [m1, m2] = [
        await data.textMessage(relation, a, 'one'),
        await data.textMessage(relation, a, 'two'),
      ];
      const client = await online(b.id);
      const reply = await client.request('read_msg', {
        relation_id: relation.id,
        msg_ids: [m2.id, m1.id],
      });
      expect(reply).toMatchObject({ status_code: 0, data: { last_read_msg_id: m2.id } });
      const record = await waitFor(() =>
        parsed<ReadRecord>(observed.reads).find((r) => r.relation_id === relation.id),
      );
      expect(record).toEqual({
        relation_id: relation.id,
        reader_id: b.id,
        msg_ids: [m2.id, m1.id],
        last_read_msg_id: m2.id,
        previous_read_msg_id: 0,
        origin: { node: NODE, conn: (await connIds(b.id))[0] },
      });
    });

    it('never moves the cursor backwards: the reply is the stored cursor', async () => {
      const [a, b] = [await data.account(), await data.account()];
      const { relation } = await data.friendship(a, b);
      const [older, newer] = [
        await data.textMessage(relation, a, 'old'),
        await data.textMessage(relation, a, 'new'),
      ];
      await db.em
        .getConnection()
        .execute(
          'insert into read_cursor (account_id, relation_id, last_read_msg_id) values (?, ?, ?)',
          [b.id, relation.id, newer.id],
        );
      const client = await online(b.id);
      const reply = await client.request('read_msg', {
        relation_id: relation.id,
        msg_ids: [older.id],
      });
      expect(reply.data).toEqual({ last_read_msg_id: newer.id });
    });

    it('refuses an id from the future with 1001 and a non-member with 2009', async () => {
      const [a, b, c] = [await data.account(), await data.account(), await data.account()];
      const { relation } = await data.friendship(a, b);
      const member = await online(b.id);
      const future = idBoundForTime(Date.now() + 60_000);
      const tooNew = await member.request('read_msg', {
        relation_id: relation.id,
        msg_ids: [future],
      });
      expect(tooNew.status_code).toBe(1001);
      expect(tooNew.status_msg).toContain('msg_ids');
      const outsider = await online(c.id);
      const m = await data.textMessage(relation, a, 'x');
      expect(
        (await outsider.request('read_msg', { relation_id: relation.id, msg_ids: [m.id] }))
          .status_code,
      ).toBe(2009);
    });
  });

  describe('presence', () => {
    it('adds an authenticated socket and removes it when it closes', async () => {
      const a = await data.account();
      const anonymous = await connect();
      expect((await anonymous.request('ping')).status_code).toBe(0);
      expect(await connIds(a.id)).toEqual([]);
      const client = await online(a.id);
      expect(await connIds(a.id)).toEqual([expect.stringMatching(/^gw7\./)]);
      client.close();
      await waitFor(async () => (await connIds(a.id)).length === 0, { what: 'the entry to go' });
    });

    it("pushes account_login and account_logout to the account's other sockets, here and on other nodes", async () => {
      const a = await data.account();
      await cache.presence.heartbeat(REMOTE_NODE, 60_000);
      await cache.presence.add(a.id, 'remote-conn', REMOTE_NODE);
      const first = await online(a.id);
      const second = await online(a.id);
      expect(await first.push('account_login')).toEqual({
        event: 'account_login',
        data: { address: '127.0.0.1' },
      });
      const remoteEvents = () =>
        parsed<DeliveryRecord>(observed.remote)
          .filter((d) => d.accounts.includes(a.id))
          .map((d) => d.frame.event);
      await waitFor(() => remoteEvents().filter((e) => e === 'account_login').length === 2, {
        what: 'two logins routed to the remote node',
      });
      expect((await second.request('ping')).status_code).toBe(0);
      expect(second.pushes.filter((p) => p.event === 'account_login')).toEqual([]);

      second.close();
      expect(await first.push('account_logout')).toEqual({
        event: 'account_logout',
        data: { address: '127.0.0.1' },
      });
      await waitFor(() => remoteEvents().includes('account_logout'), {
        what: 'a logout routed to the remote node',
      });
      await cache.presence.remove(a.id, 'remote-conn');
    });

    it('stops counting the entries of a node that stops heart-beating', async () => {
      const a = await data.account();
      await cache.presence.heartbeat('gw-killed', 500);
      await cache.presence.add(a.id, 'doomed', 'gw-killed');
      expect((await cache.presence.lookup([a.id])).get(a.id)).toEqual([
        { connId: 'doomed', nodeId: 'gw-killed' },
      ]);
      await waitFor(async () => (await cache.presence.lookup([a.id])).get(a.id)?.length === 0, {
        timeoutMs: 5000,
        what: 'the killed node to expire',
      });
    });
  });

  describe('deliveries', () => {
    it("writes a delivery to the listed accounts' sockets here, except exclude_conn", async () => {
      const [a, b, c] = [await data.account(), await data.account(), await data.account()];
      const sender = await online(a.id);
      const [senderConn] = await connIds(a.id);
      const [otherDevice, friend, stranger] = [
        await online(a.id),
        await online(b.id),
        await online(c.id),
      ];
      const frame = { event: 'update_account', data: { account_id: a.id, name: 'new name' } };
      await deliver({ accounts: [a.id, b.id], exclude_conn: senderConn, frame });
      expect(await otherDevice.push('update_account')).toEqual(frame);
      expect(await friend.push('update_account')).toEqual(frame);
      // Replies follow any push written before them on the same socket.
      for (const client of [sender, stranger]) {
        expect((await client.request('ping')).status_code).toBe(0);
        expect(client.pushes.filter((p) => p.event === 'update_account')).toEqual([]);
      }
    });

    it("closes the listed accounts' sockets with the given code after writing", async () => {
      const [a, b] = [await data.account(), await data.account()];
      const [one, two, bystander] = [await online(a.id), await online(a.id), await online(b.id)];
      const frame = { event: 'delete_relation', data: { relation_id: 1 } };
      await deliver({ accounts: [a.id], frame, close: { code: 4403, reason: 'account deleted' } });
      for (const client of [one, two]) {
        expect((await client.waitClosed()).code).toBe(4403);
        expect(client.pushes).toContainEqual(frame);
      }
      expect((await bystander.request('ping')).status_code).toBe(0);
    });

    it('closes a socket that stopped reading once its send buffer is full, and serves the others', async () => {
      const [a, b] = [await data.account(), await data.account()];
      const slow = await online(a.id);
      const other = await online(b.id);
      const [slowConn] = await connIds(a.id);
      (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const frame = { event: 'update_account', data: { pad: 'p'.repeat(64 * 1024) } };
      let published = 0;
      while ((await connIds(a.id)).includes(slowConn)) {
        if (published >= 1000) throw new Error('the slow socket was never closed');
        await Promise.all(Array.from({ length: 16 }, () => deliver({ accounts: [a.id], frame })));
        published += 16;
      }
      expect((await other.request('ping')).status_code).toBe(0);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      // The close frame reaches the client only if it got past the full buffer in time.
      expect([4408, 1006]).toContain((await slow.waitClosed()).code);
      expect(slow.pushes.length).toBeLessThan(published);
    });
  });

  describe('shutdown', () => {
    it("closes the sockets with 1001 and drops the node's presence", async () => {
      const a = await data.account();
      const client = await online(a.id);
      await gateway.stop();
      expect((await client.waitClosed()).code).toBe(1001);
      expect((await cache.presence.lookup([a.id])).get(a.id)).toEqual([]);
      // Its ops server is closed with the rest.
      await expect(fetch(`http://127.0.0.1:${gateway.opsPort}/healthz`)).rejects.toThrow();
    });
  });
});

function tokenSettings() {
  return {
    key: TOKEN_KEY,
    userTokenTtlMs: 3_600_000,
    accountTokenTtlMs: 3_600_000,
    headerName: 'Authorization',
    scheme: 'bearer',
  };
}
