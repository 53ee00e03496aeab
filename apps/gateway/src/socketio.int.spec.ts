import path from 'node:path';
import { TokenService } from '@chat/auth';
import { createBus, type Bus, type BusRecord } from '@chat/bus';
import { loadConfig } from '@chat/config';
import { type Database } from '@chat/db';
import { openMigratedDatabase, TestData } from '@chat/db/testing';
import { createLogger } from '@chat/logger';
import { TOPICS, pushTopic, type DeliveryRecord } from '@chat/protocol';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import { io, type Socket } from 'socket.io-client';
import { start, type RunningGateway } from './start';
import { TestClient } from './testing/ws-client';

const TOKEN_KEY = 'gateway-sio-test-key-0123456789-abcdefgh';
const MACHINE_ID = 9;
const NODE = `gw${MACHINE_ID}`;
const FRAMES_PER_SECOND = 10;
const MAX_FRAME_BYTES = 4096;
const PER_ADDRESS = 2;
const PER_ACCOUNT = 2;

interface Ack {
  status_code: number;
  status_msg: string;
  data?: Record<string, unknown>;
}

/** A Socket.IO client and everything the server emitted to it, in order. */
interface Client {
  socket: Socket;
  events: { event: string; data: any }[];
  disconnected: Promise<string>;
  request(event: string, data?: unknown): Promise<Ack>;
}

/**
 * Socket.IO on the gateway (docs/protocol.md §7), against real Postgres, Redis and Kafka:
 * the limits, delivery records and shutdown of `/ws` apply to Socket.IO connections, which
 * are connections of the same registry.
 */
describe('gateway: Socket.IO clients', () => {
  const log = createLogger({ name: 'gateway-sio-test', level: 'silent' });
  let ctx: SuiteContext;
  let db: Database;
  let data: TestData;
  let gateway: RunningGateway;
  let bus: Bus;
  let base: string;
  const opened: Client[] = [];
  const plain: TestClient[] = [];
  const messages: BusRecord[] = [];
  const tokenSettings = {
    key: TOKEN_KEY,
    userTokenTtlMs: 3_600_000,
    accountTokenTtlMs: 3_600_000,
    headerName: 'Authorization',
    scheme: 'bearer' as const,
  };
  const tokens = new TokenService(tokenSettings);
  const token = (accountId: number) => tokens.issue('account', accountId, 0).token;
  let nextAddress = 0;
  /** An address no other case counts against (X-Forwarded-For from a trusted loopback peer). */
  const freshAddress = () => `198.51.100.${++nextAddress}`;

  function client(opts: { token?: string; address?: string } = {}): Promise<Client> {
    const socket = io(base, {
      path: '/socket.io/',
      transports: ['websocket'],
      auth: opts.token ? { token: opts.token } : {},
      extraHeaders: { 'X-Forwarded-For': opts.address ?? freshAddress() },
      reconnection: false,
      forceNew: true,
    });
    const c: Client = {
      socket,
      events: [],
      disconnected: new Promise((resolve) => socket.once('disconnect', resolve)),
      request: (event, payload) =>
        socket.timeout(10_000).emitWithAck(event, payload) as Promise<Ack>,
    };
    socket.onAny((event: string, payload: unknown) => c.events.push({ event, data: payload }));
    opened.push(c);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(c));
      socket.once('connect_error', reject);
    });
  }

  async function online(accountId: number): Promise<Client> {
    const c = await client({ token: token(accountId) });
    expect((await c.request('ping')).status_code).toBe(0);
    return c;
  }

  const errorsOf = (c: Client) => c.events.filter((e) => e.event === 'error').map((e) => e.data);

  beforeAll(async () => {
    ctx = await createSuiteContext('gateway_sio');
    db = await openMigratedDatabase(ctx.databaseUrl);
    data = new TestData(db.em.fork());
    const config = loadConfig({
      dir: path.resolve(__dirname, '../../../config/app'),
      env: {},
      overrides: {
        App: { MachineID: MACHINE_ID },
        Server: { Host: '127.0.0.1', ShutdownTimeout: '10s', GatewayOpsPort: 0 },
        Gateway: {
          FramesPerSecond: FRAMES_PER_SECOND,
          MaxFrameBytes: MAX_FRAME_BYTES,
          MaxConnectionsPerAddress: PER_ADDRESS,
          MaxConnectionsPerAccount: PER_ACCOUNT,
          PresenceTtl: '3s',
        },
        Postgresql: { Url: ctx.databaseUrl, PoolMax: 4 },
        Redis: { Url: ctx.redisUrl, KeyPrefix: ctx.redisPrefix },
        Kafka: { Brokers: ctx.kafkaBrokers.join(','), TopicPrefix: ctx.topicPrefix, Partitions: 2 },
        Token: { Key: TOKEN_KEY },
      },
    });
    bus = createBus(
      {
        kind: 'kafka',
        brokers: ctx.kafkaBrokers,
        clientId: 'gateway-sio-test',
        topicPrefix: ctx.topicPrefix,
        groupPrefix: ctx.groupPrefix,
        partitions: 2,
        replicationFactor: 1,
        consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 },
      },
      log,
    );
    gateway = await start(config, log, { port: 0 });
    base = `http://127.0.0.1:${gateway.port}`;
    await bus.subscribe('test.observer', [TOPICS.messages], async (records) => {
      messages.push(...records);
    });
  });

  afterEach(() => {
    for (const c of opened.splice(0)) c.socket.disconnect();
    for (const ws of plain.splice(0)) ws.close();
  });

  afterAll(async () => {
    await gateway?.stop();
    await bus?.close();
    await db?.close();
    await ctx?.cleanup();
  });

  it('sends to the bus and acks after it, and a /ws socket of the friend gets the push', async () => {
    const [a, b] = [await data.account(), await data.account()];
    const { relation } = await data.friendship(a, b);
    const sender = await online(a.id);
    const friend = await TestClient.connect(`ws://127.0.0.1:${gateway.port}/ws`, {
      token: token(b.id),
    });
    plain.push(friend);
    expect((await friend.request('ping')).status_code).toBe(0);
    const ack = await sender.request('send_msg', {
      relation_id: relation.id,
      msg_content: 'over socket.io',
      client_msg_id: 'int-1',
    });
    expect(ack).toMatchObject({ status_code: 0, data: { msg_id: expect.any(Number) } });
    // Acked only once the record is on the bus.
    await waitFor(
      () =>
        messages.some(
          (r) => (JSON.parse(r.value.toString()) as { id: number }).id === ack.data!.msg_id,
        ),
      { what: 'the record on chat.messages' },
    );
    // The push comes through the notifier, which this suite does not run: a delivery record
    // written as the notifier would, to this node's topic.
    const frame = { event: 'send_msg', data: { msg_info: { id: ack.data!.msg_id } } };
    const record: DeliveryRecord = { accounts: [a.id, b.id], frame };
    await bus.publish(pushTopic(NODE), String(b.id), JSON.stringify(record));
    await waitFor(() => friend.pushes.some((p) => p.event === 'send_msg'), { what: 'the push' });
    await waitFor(() => sender.events.some((e) => e.event === 'send_msg'), {
      what: 'the push at the sender (not excluded here)',
    });
    expect(sender.events.find((e) => e.event === 'send_msg')!.data).toEqual(frame.data);
  });

  it('closes a delivery record’s sockets: the frame, one error event with 4403, a disconnect', async () => {
    const a = await data.account();
    const [one, two] = [await online(a.id), await online(a.id)];
    const frame = { event: 'error', data: { status_code: 2010, status_msg: 'account deleted' } };
    const record: DeliveryRecord = {
      accounts: [a.id],
      frame,
      close: { code: 4403, reason: 'account deleted' },
    };
    await bus.publish(pushTopic(NODE), String(a.id), JSON.stringify(record));
    for (const c of [one, two]) {
      expect(await c.disconnected).toBe('io server disconnect');
      expect(errorsOf(c)).toEqual([
        {
          status_code: 2010,
          status_msg: 'account deleted',
          close_code: 4403,
          close_reason: 'account deleted',
        },
      ]);
    }
  });

  it('closes on a packet above Gateway.MaxFrameBytes with 1009', async () => {
    const c = await online((await data.account()).id);
    c.socket.emit('send_msg', { relation_id: 1, msg_content: 'x'.repeat(MAX_FRAME_BYTES) });
    expect(await c.disconnected).toBe('io server disconnect');
    expect(errorsOf(c)).toEqual([
      expect.objectContaining({
        status_code: 1001,
        close_code: 1009,
        close_reason: 'frame too large',
      }),
    ]);
  });

  it('counts events against Gateway.FramesPerSecond: past it, 1004', async () => {
    const c = await online((await data.account()).id);
    const acks = await Promise.all(
      Array.from({ length: FRAMES_PER_SECOND * 2 }, () => c.request('ping')),
    );
    const codes = acks.map((a) => a.status_code);
    expect(codes.filter((s) => s === 0).length).toBeGreaterThanOrEqual(FRAMES_PER_SECOND - 1);
    expect(codes.filter((s) => s === 1004).length).toBeGreaterThan(0);
    expect(c.socket.connected).toBe(true);
  });

  it('counts Socket.IO and /ws sockets under one address limit; past it, 403 before connecting', async () => {
    const address = freshAddress();
    await client({ address });
    const ws = await TestClient.connect(`ws://127.0.0.1:${gateway.port}/ws`, {
      headers: { 'X-Forwarded-For': address },
    });
    plain.push(ws);
    await expect(client({ address })).rejects.toThrow();
    // What the refused Socket.IO handshake is answered: 403, Engine.IO's error body.
    await expect(
      TestClient.connect(`ws://127.0.0.1:${gateway.port}/socket.io/?EIO=4&transport=websocket`, {
        headers: { 'X-Forwarded-For': address },
      }),
    ).rejects.toThrow(/403/);
    await expect(
      TestClient.connect(`ws://127.0.0.1:${gateway.port}/ws`, {
        headers: { 'X-Forwarded-For': address },
      }),
    ).rejects.toThrow(/429/);
    // A place given back is free again.
    ws.close();
    await waitFor(
      async () => {
        try {
          await client({ address });
          return true;
        } catch {
          return false;
        }
      },
      { what: 'a place for the address again' },
    );
  });

  it('closes at the token’s expiry: one error event (2013, 4401), whether or not it sends', async () => {
    const a = await data.account();
    const short = new TokenService({ ...tokenSettings, accountTokenTtlMs: 2000 }).issue(
      'account',
      a.id,
      0,
    );
    const c = await client({ token: short.token });
    expect((await c.request('ping')).status_code).toBe(0);
    expect(await c.disconnected).toBe('io server disconnect');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(short.expired_at));
    expect(errorsOf(c)).toEqual([
      {
        status_code: 2013,
        status_msg: 'token expired',
        close_code: 4401,
        close_reason: 'token expired',
      },
    ]);
  });

  it('counts Socket.IO and /ws sockets under one account limit; past it, 1004 and 4429', async () => {
    const a = await data.account();
    await online(a.id);
    const ws = await TestClient.connect(`ws://127.0.0.1:${gateway.port}/ws`, {
      token: token(a.id),
    });
    plain.push(ws);
    expect((await ws.request('ping')).status_code).toBe(0);
    // With the token at connect: the error push and the close make one event.
    const atConnect = await client({ token: token(a.id) });
    expect(await atConnect.disconnected).toBe('io server disconnect');
    expect(errorsOf(atConnect)).toEqual([
      {
        status_code: 1004,
        status_msg: 'too many connections for this account',
        close_code: 4429,
        close_reason: 'too many connections',
      },
    ]);
    // With the auth event: its acknowledgement says 1004, then the close.
    const later = await client();
    const refused = await later.request('auth', { token: token(a.id) });
    expect(refused).toMatchObject({ status_code: 1004 });
    expect(await later.disconnected).toBe('io server disconnect');
    expect(errorsOf(later)).toEqual([
      expect.objectContaining({ status_code: 1004, close_code: 4429 }),
    ]);
  });

  it('at shutdown: one error event with 1001, then a disconnect', async () => {
    const c = await online((await data.account()).id);
    const stopped = gateway.stop();
    expect(await c.disconnected).toBe('io server disconnect');
    expect(errorsOf(c)).toEqual([
      {
        status_code: 1003,
        status_msg: 'server going away',
        close_code: 1001,
        close_reason: 'server going away',
      },
    ]);
    await stopped;
  });
});
