import { KafkaBus, MemoryBus, type KafkaBusConfig } from '@chat/bus';
import { createCacheAdapters } from '@chat/cache';
import { openDatabase } from '@chat/db';
import { createJobQueue } from '@chat/jobs';
import { createLogger } from '@chat/logger';
import { createSuiteContext, freePort, waitFor, type SuiteContext } from '@chat/testing';
import { dependencyChecks } from './dependency-probes';
import { checkReadiness } from './readiness';

const log = createLogger({ name: 'probes-test', level: 'silent' });
const RETRY = { maxRetries: 0, firstDelayMs: 100 };

/**
 * `/readyz` asks each port's adapter (`ping()`), on the adapter's own connection, against
 * the real services; and a service that is not there fails the check rather than hanging.
 */
describe('dependency checks through the adapters', () => {
  let ctx: SuiteContext;

  beforeAll(async () => {
    ctx = await createSuiteContext('ops probes');
  });

  afterAll(async () => {
    await ctx?.cleanup();
  });

  function kafkaConfig(brokers = ctx.kafkaBrokers): KafkaBusConfig {
    return {
      brokers,
      clientId: 'probes-test',
      topicPrefix: ctx.topicPrefix,
      groupPrefix: ctx.groupPrefix,
      partitions: 2,
      replicationFactor: 1,
      retries: 1,
      consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 100, maxWaitTimeMs: 100 },
    };
  }

  it('reads a group’s lag per partition through the bus: all retained records before it commits, none after', async () => {
    const bus = new KafkaBus(kafkaConfig(), log);
    try {
      await bus.publishMany(
        Array.from({ length: 6 }, (_, i) => ({ topic: 'lag', key: `k${i}`, value: `v${i}` })),
      );
      const before = await bus.positions('workers', ['lag']);
      expect(before.map((p) => p.partition).sort()).toEqual([0, 1]);
      expect(before.reduce((n, p) => n + p.end, 0)).toBe(6);
      for (const p of before) expect(p).toMatchObject({ topic: 'lag', committed: 0, lag: p.end });

      let handled = 0;
      const sub = await bus.subscribe('workers', ['lag'], async (records) => {
        handled += records.length;
      });
      await waitFor(() => handled === 6, { what: 'the six records handled' });
      await waitFor(
        async () => (await bus.positions('workers', ['lag'])).every((p) => p.lag === 0),
        { what: 'the lag to reach zero once the group committed' },
      );
      const after = await bus.positions('workers', ['lag']);
      for (const p of after) expect(p.committed).toBe(p.end);
      await sub.stop();
    } finally {
      await bus.close();
    }
  });

  it('the in-process bus reports the same positions', async () => {
    const bus = new MemoryBus({ partitions: 2 }, log);
    try {
      await bus.publishMany(
        Array.from({ length: 4 }, (_, i) => ({ topic: 'lag', key: `k${i}`, value: `v${i}` })),
      );
      const before = await bus.positions('workers', ['lag']);
      expect(before.reduce((n, p) => n + p.lag, 0)).toBe(4);
      expect(await bus.backlog('workers', ['lag'])).toBe(4);
      await bus.ping();
    } finally {
      await bus.close();
    }
    await expect(bus.ping()).rejects.toThrow();
  });

  it('answers ready when Postgres, Redis and Kafka answer, each through its adapter', async () => {
    const db = await openDatabase({ url: ctx.databaseUrl }, log);
    const cache = createCacheAdapters(
      { kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix },
      log,
    );
    const queue = createJobQueue(
      { kind: 'bullmq', redisUrl: ctx.redisUrl, prefix: ctx.redisPrefix },
      { name: 'probe', retry: RETRY },
      log,
    );
    const bus = new KafkaBus(kafkaConfig(), log);
    try {
      await waitFor(
        async () => (await checkReadiness(dependencyChecks({ redis: cache }))).isReady,
        {
          what: 'the cache connected',
        },
      );
      expect(
        await checkReadiness(dependencyChecks({ database: db, redis: cache, kafka: bus })),
      ).toEqual({ isReady: true, checks: { database: 'ok', redis: 'ok', kafka: 'ok' } });
      // A role without a cache (the mailer) asks its job queue, also in Redis.
      expect(await checkReadiness(dependencyChecks({ redis: queue }))).toEqual({
        isReady: true,
        checks: { redis: 'ok' },
      });
    } finally {
      await Promise.all([db.close(), cache.close(), queue.close(), bus.close()]);
    }
  });

  it('fails the check, not hangs, when Redis or Kafka is not there', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const cache = createCacheAdapters({ kind: 'redis', url: `redis://${dead}`, prefix: 'x:' }, log);
    const bus = new KafkaBus(kafkaConfig([dead]), log);
    try {
      const readiness = await checkReadiness(dependencyChecks({ redis: cache, kafka: bus }));
      expect(readiness.isReady).toBe(false);
      expect(readiness.checks.redis).not.toBe('ok');
      expect(readiness.checks.kafka).not.toBe('ok');
    } finally {
      await Promise.all([cache.close(), bus.close()]);
    }
  });

  it('checks only what it is given: nothing for the embedded adapters', () => {
    expect(dependencyChecks({})).toEqual([]);
  });
});
