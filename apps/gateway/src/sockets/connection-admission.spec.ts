import { createCacheAdapters, type ConnectionCounts } from '@chat/cache';
import { createLogger } from '@chat/logger';
import type { WebSocket } from 'uWebSockets.js';
import { Connection, type SocketData } from './connection';
import {
  accountKey,
  addressKey,
  ConnectionAdmission,
  type AdmissionOptions,
  type ConnectionLimit,
} from './connection-admission';

const log = createLogger({ name: 'admission-test', level: 'silent' });
const TTL_MS = 30_000;
const limits = { framesPerSecond: 0, maxBufferedBytes: 1024 };

/** An open connection from `address` (a stand-in socket: nothing is written to it). */
function openConn(address: string): Connection {
  const conn = new Connection(`c${Math.random().toString(36).slice(2)}`, address, limits, 0);
  conn.attach({} as WebSocket<SocketData>);
  return conn;
}

/** Lets the releases (sent without waiting) reach the counts. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ConnectionAdmission', () => {
  let clock: number;
  let counts: ConnectionCounts;
  let refused: ConnectionLimit[];
  let stopping: boolean;
  let started: ConnectionAdmission[];

  beforeEach(() => {
    started = [];
    clock = 1_700_000_000_000;
    counts = createCacheAdapters({ kind: 'memory', now: () => clock }, log).connections;
    refused = [];
    stopping = false;
  });

  // Their heartbeat timers run on the real clock.
  afterEach(() => Promise.all(started.map((a) => a.stop())));

  /** One gateway node's admission over the shared counts, started. */
  async function node(
    nodeId: string,
    opts: Partial<AdmissionOptions> = {},
    store: ConnectionCounts = counts,
  ): Promise<ConnectionAdmission> {
    const admission = new ConnectionAdmission(
      {
        counts: store,
        nodeId,
        isStopping: () => stopping,
        onRefused: (limit) => refused.push(limit),
        log,
        now: () => clock,
      },
      { perAccount: 2, perAddress: 3, ttlMs: TTL_MS, ...opts },
    );
    await admission.start();
    started.push(admission);
    return admission;
  }

  describe('per address', () => {
    it('admits up to the limit over every node, refuses the next, and admits again after a close', async () => {
      const [gw1, gw2] = [await node('gw1'), await node('gw2')];
      const conns = ['10.0.0.1', '10.0.0.1', '10.0.0.1'].map(openConn);
      expect(await gw1.admitAddress(conns[0])).toBe(true);
      expect(await gw2.admitAddress(conns[1])).toBe(true);
      expect(await gw1.admitAddress(conns[2])).toBe(true);
      const fourth = openConn('10.0.0.1');
      expect(await gw2.admitAddress(fourth)).toBe(false);
      expect(fourth.countedAddress).toBe(false);
      expect(refused).toEqual(['connections_per_address']);
      // Another address is counted apart.
      expect(await gw2.admitAddress(openConn('10.0.0.2'))).toBe(true);

      gw2.release(conns[1]);
      await settle();
      expect(await counts.total(addressKey('10.0.0.1'))).toBe(2);
      expect(await gw1.admitAddress(fourth)).toBe(true);
    });

    it('counts IPv6 addresses per /64, and IPv4-mapped ones as IPv4', async () => {
      const gw = await node('gw1', { perAddress: 2 });
      expect(await gw.admitAddress(openConn('2001:db8:1:2::1'))).toBe(true);
      expect(await gw.admitAddress(openConn('2001:db8:1:2:ffff::9'))).toBe(true);
      expect(await gw.admitAddress(openConn('2001:db8:1:2::77'))).toBe(false);
      expect(await gw.admitAddress(openConn('2001:db8:1:3::1'))).toBe(true);
      expect(addressKey('::ffff:192.0.2.7')).toBe(addressKey('192.0.2.7'));
    });

    it('gives a place back once only, however often the connection is released', async () => {
      const gw = await node('gw1', { perAddress: 2 });
      const [a, b] = [openConn('10.0.0.9'), openConn('10.0.0.9')];
      await gw.admitAddress(a);
      await gw.admitAddress(b);
      gw.release(a);
      gw.release(a);
      await settle();
      expect(await counts.total(addressKey('10.0.0.9'))).toBe(1);
      expect(gw.localCount(addressKey('10.0.0.9'))).toBe(1);
    });
  });

  describe('per account', () => {
    it('admits up to the limit over every node and refuses the next', async () => {
      const [gw1, gw2] = [await node('gw1'), await node('gw2')];
      expect(await gw1.admitAccount(openConn('10.0.0.1'), 7)).toBe(true);
      expect(await gw2.admitAccount(openConn('10.0.0.2'), 7)).toBe(true);
      expect(await gw1.admitAccount(openConn('10.0.0.3'), 7)).toBe(false);
      expect(await gw1.admitAccount(openConn('10.0.0.3'), 8)).toBe(true);
      expect(refused).toEqual(['connections_per_account']);
    });

    it('counts a connection once for its account, and gives the place back on releaseAccount', async () => {
      const gw = await node('gw1');
      const conn = openConn('10.0.0.1');
      expect(await gw.admitAccount(conn, 7)).toBe(true);
      expect(await gw.admitAccount(conn, 7)).toBe(true);
      expect(await counts.total(accountKey(7))).toBe(1);
      gw.releaseAccount(conn);
      await settle();
      expect(conn.countedAccount).toBe(0);
      expect(await counts.total(accountKey(7))).toBe(0);
    });

    it('does not keep the place of a socket that closed while it was being counted', async () => {
      const gw = await node('gw1');
      const conn = openConn('10.0.0.1');
      const admitted = gw.admitAccount(conn, 7);
      conn.detach();
      gw.release(conn);
      expect(await admitted).toBe(true);
      await settle();
      expect(conn.countedAccount).toBe(0);
      expect(await counts.total(accountKey(7))).toBe(0);
    });
  });

  it('stops counting a node that died within the TTL, and keeps a beating one', async () => {
    const dead = await node('gw-dead', { perAccount: 2 });
    const live = await node('gw-live', { perAccount: 2 });
    await dead.admitAccount(openConn('10.0.0.1'), 7);
    await dead.admitAccount(openConn('10.0.0.1'), 7);
    expect(await live.admitAccount(openConn('10.0.0.2'), 7)).toBe(false);
    // gw-dead is gone without a word (its timer never fires: the clock here is fake); the
    // live node beats.
    clock += TTL_MS;
    await live.beat();
    expect(await live.admitAccount(openConn('10.0.0.2'), 7)).toBe(true);
    expect(await counts.total(accountKey(7))).toBe(1);
  });

  it('writes its counts again after its heartbeat lapsed and other nodes dropped them', async () => {
    const lapsing = await node('gw1', { perAccount: 5 });
    const other = await node('gw2', { perAccount: 5 });
    for (let i = 0; i < 3; i++) await lapsing.admitAccount(openConn('10.0.0.1'), 7);
    clock += TTL_MS;
    await other.beat();
    await other.admitAccount(openConn('10.0.0.2'), 7);
    expect(await counts.total(accountKey(7))).toBe(1);
    await lapsing.beat();
    expect(await counts.total(accountKey(7))).toBe(4);
  });

  it('writes a count again after a store call failed with its effect unknown', async () => {
    let failNext = false;
    const flaky: ConnectionCounts = {
      ...bind(counts),
      // Applies the call, then fails as a lost reply would.
      async acquire(nodeId, key, limit) {
        const done = await counts.acquire(nodeId, key, limit);
        if (failNext) {
          failNext = false;
          throw new Error('connection reset');
        }
        return done;
      },
      async release(nodeId, key) {
        await counts.release(nodeId, key);
        if (failNext) {
          failNext = false;
          throw new Error('connection reset');
        }
      },
    };
    const gw = await node('gw1', { perAccount: 5 }, flaky);
    const conns = [openConn('10.0.0.1'), openConn('10.0.0.1'), openConn('10.0.0.1')];
    await gw.admitAccount(conns[0], 7);
    failNext = true;
    await expect(gw.admitAccount(conns[1], 7)).rejects.toThrow('connection reset');
    // The store counted it; this node did not (the socket was refused): 2 against 1.
    expect(await counts.total(accountKey(7))).toBe(2);
    await gw.beat();
    expect(await counts.total(accountKey(7))).toBe(1);

    await gw.admitAccount(conns[2], 7);
    failNext = true;
    gw.release(conns[2]);
    await settle();
    await gw.beat();
    expect(await counts.total(accountKey(7))).toBe(1);
    expect(gw.localCount(accountKey(7))).toBe(1);
  });

  it('counts nothing and asks no store with both limits off', async () => {
    const broken: ConnectionCounts = new Proxy({} as ConnectionCounts, {
      get: () => () => Promise.reject(new Error('no store expected')),
    });
    const gw = await node('gw1', { perAccount: 0, perAddress: 0 }, broken);
    expect(gw.limitsAddresses).toBe(false);
    const conn = openConn('10.0.0.1');
    expect(await gw.admitAddress(conn)).toBe(true);
    expect(await gw.admitAccount(conn, 7)).toBe(true);
    gw.release(conn);
    await gw.stop();
  });

  it('drops its counts at once on stop, without a call per socket', async () => {
    let releases = 0;
    const counting: ConnectionCounts = {
      ...bind(counts),
      release: (nodeId, key) => (releases++, counts.release(nodeId, key)),
    };
    const gw = await node('gw1', {}, counting);
    const conns = [openConn('10.0.0.1'), openConn('10.0.0.1')];
    for (const conn of conns) {
      await gw.admitAddress(conn);
      await gw.admitAccount(conn, 7);
    }
    stopping = true;
    for (const conn of conns) gw.release(conn);
    await gw.stop();
    expect(releases).toBe(0);
    expect(await counts.total(addressKey('10.0.0.1'))).toBe(0);
    expect(await counts.total(accountKey(7))).toBe(0);
  });

  it('clears what a previous run under its node id left', async () => {
    const first = await node('gw1');
    await first.admitAccount(openConn('10.0.0.1'), 7);
    // Restarted under the same id (a crash, then a new process): the old count goes.
    await node('gw1');
    expect(await counts.total(accountKey(7))).toBe(0);
  });
});

/** The methods of `counts`, bound, to build a partial stand-in from. */
function bind(counts: ConnectionCounts): ConnectionCounts {
  return {
    acquire: counts.acquire.bind(counts),
    release: counts.release.bind(counts),
    restore: counts.restore.bind(counts),
    heartbeat: counts.heartbeat.bind(counts),
    dropNode: counts.dropNode.bind(counts),
    total: counts.total.bind(counts),
  };
}
