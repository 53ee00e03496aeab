import { createLogger } from '@chat/logger';
import { KafkaBus, type KafkaBusConfig } from '@chat/bus';
import { createSuiteContext, freePort, waitFor, type SuiteContext } from '@chat/testing';
import { DependencyProbes } from './dependency-probes';
import { KafkaProbe } from './kafka-probe';
import { checkReadiness } from './readiness';
import { RedisProbe } from './redis-probe';

const log = createLogger({ name: 'probes-test', level: 'silent' });

describe('dependency probes', () => {
  let ctx: SuiteContext;

  beforeAll(async () => {
    ctx = await createSuiteContext('ops probes', { database: false });
  });

  afterAll(async () => {
    await ctx?.cleanup();
  });

  function kafkaConfig(): KafkaBusConfig {
    return {
      brokers: ctx.kafkaBrokers,
      clientId: 'probes-test',
      topicPrefix: ctx.topicPrefix,
      groupPrefix: ctx.groupPrefix,
      partitions: 2,
      replicationFactor: 1,
      consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 100, maxWaitTimeMs: 100 },
    };
  }

  it('reads a group’s lag per partition: all retained records before it commits, none after', async () => {
    const bus = new KafkaBus(kafkaConfig(), log);
    const probe = new KafkaProbe(kafkaConfig());
    try {
      await bus.publishMany(
        Array.from({ length: 6 }, (_, i) => ({ topic: 'lag', key: `k${i}`, value: `v${i}` })),
      );
      const before = await probe.positions('workers', ['lag']);
      expect(before.map((p) => p.partition).sort()).toEqual([0, 1]);
      expect(before.reduce((n, p) => n + p.end, 0)).toBe(6);
      for (const p of before) expect(p).toMatchObject({ topic: 'lag', committed: 0, lag: p.end });

      let handled = 0;
      const sub = await bus.subscribe('workers', ['lag'], async (records) => {
        handled += records.length;
      });
      await waitFor(() => handled === 6, { what: 'the six records handled' });
      await waitFor(
        async () => (await probe.positions('workers', ['lag'])).every((p) => p.lag === 0),
        { what: 'the lag to reach zero once the group committed' },
      );
      const after = await probe.positions('workers', ['lag']);
      for (const p of after) expect(p.committed).toBe(p.end);
      await sub.stop();
    } finally {
      await probe.close();
      await bus.close();
    }
  });

  it('answers ready when Kafka and Redis answer', async () => {
    const probes = new DependencyProbes({
      redisUrl: ctx.redisUrl,
      bus: { kind: 'kafka', ...kafkaConfig() },
      database: { isConnected: async () => true },
    });
    try {
      expect(await checkReadiness(probes.checks)).toEqual({
        isReady: true,
        checks: { database: 'ok', redis: 'ok', kafka: 'ok' },
      });
    } finally {
      await probes.close();
    }
  });

  it('fails fast when Redis or Kafka is not there', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const redis = new RedisProbe(`redis://${dead}`);
    const kafka = new KafkaProbe({ ...kafkaConfig(), brokers: [dead] });
    try {
      const t0 = Date.now();
      await expect(redis.ping()).rejects.toThrow();
      await expect(kafka.ping()).rejects.toThrow();
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await redis.close();
      await kafka.close();
    }
  });

  it('probes only what the app uses: nothing for the embedded adapters', () => {
    const probes = new DependencyProbes({ bus: { kind: 'memory', partitions: 2 } });
    expect(probes.checks).toEqual([]);
    expect(probes.kafka).toBeUndefined();
  });
});
