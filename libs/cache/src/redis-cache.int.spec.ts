import { Redis } from 'ioredis';
import { createLogger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import { cacheContract, type CacheContractHarness } from './cache.contract';
import { connectionCountsContract } from './connection-counts.contract';
import { createCacheAdapters, type CacheAdapters } from './create-cache';

describe('redis cache adapters', () => {
  const log = createLogger({ name: 'cache-test', level: 'silent' });
  let ctx: SuiteContext;
  let raw: Redis;
  let harness: CacheContractHarness;

  /** Milliseconds on the Redis server's clock, which its TTLs and the limiter scripts use. */
  const serverNow = async () => {
    const [sec, micro] = await raw.time();
    return Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
  };

  beforeAll(async () => {
    ctx = await createSuiteContext('cache', { database: false });
    raw = new Redis(ctx.redisUrl);
    harness = {
      adapters: createCacheAdapters(
        { kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix },
        log,
      ),
      async elapse(ms) {
        const until = (await serverNow()) + ms;
        await waitFor(async () => (await serverNow()) >= until, {
          timeoutMs: ms + 5000,
          intervalMs: 20,
          what: `${ms} ms on the redis clock`,
        });
      },
      async eventually(check, what) {
        await waitFor(check, { timeoutMs: 5000, intervalMs: 20, what });
      },
    };
  });

  afterAll(async () => {
    await harness?.adapters.close();
    raw?.disconnect();
    await ctx?.cleanup();
  });

  cacheContract(() => harness);
  connectionCountsContract(() => harness);

  describe('redis specifics', () => {
    it('keeps every key under the configured prefix, each with an expiry', async () => {
      const { adapters } = harness;
      await adapters
        .codes({ codeLength: 6, codeTtlMs: 60_000, resendIntervalMs: 60_000 })
        .issue('Keys@Example.com');
      await adapters.limiter.take('keys', { bucket: 2, refill: 1, intervalMs: 1000, cost: 1 });
      await adapters.limiter.take('keys', [{ Count: 2, Window: 1000 }]);
      await adapters.cache.set('keys', { a: 1 }, 60_000);
      await adapters.presence.heartbeat('keys-node', 60_000);
      await adapters.presence.add(7, 'keys-conn', 'keys-node');
      await adapters.connections.heartbeat('keys-node', 60_000);
      await adapters.connections.acquire('keys-node', 'keys', 1);
      const membership = adapters.membership({ ttlMs: 60_000 });
      await membership.members(8, async () => [1]);
      await membership.invalidate([9]);

      const ours = await raw.keys(`${ctx.redisPrefix}*`);
      expect(ours).toEqual(
        expect.arrayContaining([
          `${ctx.redisPrefix}email:code:keys@example.com`,
          `${ctx.redisPrefix}email:mark:keys@example.com`,
          `${ctx.redisPrefix}rate:bucket:keys`,
          `${ctx.redisPrefix}rate:windows:keys`,
          `${ctx.redisPrefix}cache:keys`,
          `${ctx.redisPrefix}presence:node:keys-node`,
          `${ctx.redisPrefix}presence:account:7`,
          `${ctx.redisPrefix}presence:node-conns:keys-node`,
          `${ctx.redisPrefix}presence:nodes`,
          `${ctx.redisPrefix}conns:nodes`,
          `${ctx.redisPrefix}conns:alive:keys-node`,
          `${ctx.redisPrefix}conns:node:keys-node`,
          `${ctx.redisPrefix}membership:members:8`,
          `${ctx.redisPrefix}membership:gen:9`,
        ]),
      );
      // Presence entries live as long as their connection, however long that is; a dead
      // node's are removed by the sweep of a live gateway (which forgets the node in the
      // set of nodes then) or by dropNode when the node id starts again. So do connection
      // counts: a dead node's are removed by the next acquire.
      // The presence marker lasts too: its absence means Redis lost its data.
      const lasting =
        /presence:(account|node-conns):|presence:(marker|nodes)$|conns:(nodes$|node:)/;
      const expiring = ours.filter((k) => !lasting.test(k));
      const ttls = await Promise.all(expiring.map((k) => raw.pttl(k)));
      expect(ttls.filter((ttl) => ttl <= 0)).toEqual([]);
    });

    it('says presence was lost when Redis lost its data, until a gateway beats again', async () => {
      // Own prefix: the marker is one per deployment.
      const prefix = `${ctx.redisPrefix}lost:`;
      const own = createCacheAdapters({ kind: 'redis', url: ctx.redisUrl, prefix }, log);
      try {
        const { presence } = own;
        expect((await presence.snapshot([])).state).toEqual({ lost: true, rebuildingMs: 0 });
        await presence.heartbeat('gw-a', 60_000);
        await presence.heartbeat('gw-b', 60_000);
        await presence.add(7, 'c1', 'gw-b');
        expect(await presence.snapshot([7])).toEqual({
          online: new Map([[7, [{ connId: 'c1', nodeId: 'gw-b' }]]]),
          state: { lost: false, rebuildingMs: 0 },
        });

        // What a Redis restarted without persistence looks like.
        const keys = await raw.keys(`${prefix}*`);
        await raw.del(...keys);
        expect(await presence.snapshot([7])).toEqual({
          online: new Map([[7, []]]),
          state: { lost: true, rebuildingMs: 0 },
        });
        // The first gateway to beat again finds itself lost and starts the rebuild...
        expect(await presence.heartbeat('gw-a', 60_000, { rebuildMs: 30_000 })).toBe(false);
        const { state } = await presence.snapshot([7]);
        expect(state.lost).toBe(false);
        expect(state.rebuildingMs).toBeGreaterThan(25_000);
        expect(state.rebuildingMs).toBeLessThanOrEqual(30_000);
        // ...which the next one to find itself lost does not extend.
        await presence.heartbeat('gw-b', 60_000, { rebuildMs: 60_000 });
        expect((await presence.snapshot([])).state.rebuildingMs).toBeLessThanOrEqual(30_000);
      } finally {
        await own.close();
      }
    });

    it('wraps a server error reply as a non-retryable InfrastructureError', async () => {
      await raw.hset(`${ctx.redisPrefix}cache:not-a-string`, 'field', '1');
      const failure = harness.adapters.cache.get('not-a-string');
      await expect(failure).rejects.toBeInstanceOf(InfrastructureError);
      await expect(failure).rejects.toMatchObject({ retryable: false });
    });

    describe('after close', () => {
      let closed: CacheAdapters;

      beforeAll(async () => {
        closed = createCacheAdapters(
          { kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix },
          log,
        );
        await closed.cache.set('before-close', 1, 60_000);
        await closed.close();
      });

      it('closes twice without error', async () => {
        await expect(closed.close()).resolves.toBeUndefined();
      });

      it('rejects operations with a retryable InfrastructureError', async () => {
        const failure = closed.cache.get('before-close');
        await expect(failure).rejects.toBeInstanceOf(InfrastructureError);
        await expect(failure).rejects.toMatchObject({ retryable: true });
        await expect(
          closed.limiter.take('ip', { bucket: 1, refill: 1, intervalMs: 1000, cost: 1 }),
        ).rejects.toBeInstanceOf(InfrastructureError);
      });

      it('still allows disabled limits, which never touch Redis', async () => {
        await expect(closed.limiter.take('ip', [])).resolves.toEqual({
          allowed: true,
          retryAfterMs: 0,
        });
      });
    });
  });
});
