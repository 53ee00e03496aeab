import { Kafka, logLevel } from 'kafkajs';
import { createLogger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import { busContract } from '@chat/bus/testing';
import { KafkaBus, type KafkaBusConfig } from './kafka-bus';

const log = createLogger({ name: 'bus-test', level: process.env.LOG_LEVEL ?? 'silent' });

describe('KafkaBus', () => {
  let ctx: SuiteContext;

  beforeAll(async () => {
    ctx = await createSuiteContext('bus kafka', { database: false });
  });

  afterAll(async () => {
    await ctx?.cleanup();
  });

  /** Real broker, suite prefixes, consumer timing lowered so joins take milliseconds. */
  function config(): KafkaBusConfig {
    return {
      brokers: ctx.kafkaBrokers,
      clientId: 'bus-test',
      topicPrefix: ctx.topicPrefix,
      groupPrefix: ctx.groupPrefix,
      partitions: 4,
      replicationFactor: 1,
      consumer: {
        sessionTimeoutMs: 6000,
        rebalanceTimeoutMs: 6000,
        heartbeatIntervalMs: 100,
        maxWaitTimeMs: 100,
      },
    };
  }

  busContract('KafkaBus', async () => {
    const bus = new KafkaBus(config(), log);
    return { bus, cleanup: () => bus.close() };
  });

  it('creates prefixed topics with the configured partition count', async () => {
    const bus = new KafkaBus(config(), log);
    try {
      await bus.ensureTopics(['ensure.a', 'ensure.b']);
      await bus.ensureTopics(['ensure.a']);
      const admin = new Kafka({
        clientId: 'check',
        brokers: ctx.kafkaBrokers,
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({
          topics: [`${ctx.topicPrefix}ensure.a`, `${ctx.topicPrefix}ensure.b`],
        });
        expect(topics.map((t) => t.partitions.length)).toEqual([4, 4]);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await bus.close();
    }
  });

  it('lets several processes start on the same new topics at once (groups from the end)', async () => {
    // Each bus is its own client, as separate apps are: one creates the topics while the
    // others find them listed before their partitions have leaders.
    const buses = Array.from({ length: 4 }, () => new KafkaBus(config(), log));
    try {
      const got: string[][] = buses.map(() => []);
      const subs = await Promise.all(
        buses.map((bus, i) =>
          bus.subscribe(
            `race.${i}`,
            ['race.a', 'race.b', 'race.c'],
            async (records) => {
              for (const r of records) got[i].push(r.value.toString());
            },
            { fromBeginning: false },
          ),
        ),
      );
      await buses[0].publish('race.b', 'k', 'after-start');
      await waitFor(() => got.every((g) => g.includes('after-start')), {
        timeoutMs: 20_000,
        what: 'every group to get the record published after it started',
      });
      await Promise.all(subs.map((s) => s.stop()));
    } finally {
      await Promise.all(buses.map((b) => b.close()));
    }
  });

  it('closes only after the backlog reads under way have ended, and refuses new ones', async () => {
    const bus = new KafkaBus(config(), log);
    await bus.ensureTopics(['backlog.a']);
    // A group that never committed, on a topic just made: the first read may meet a
    // coordinator still loading and ask again; close must not leave it asking afterwards.
    const reads = ['backlog.g1', 'backlog.g2'].map((g) => bus.backlog(g, ['backlog.a']));
    const ended: string[] = [];
    reads.forEach(
      (r, i) =>
        void r.then(
          () => ended.push(`read ${i}`),
          () => ended.push(`read ${i}`),
        ),
    );
    await bus.close();
    ended.push('closed');
    expect(ended.slice(0, 2).sort()).toEqual(['read 0', 'read 1']);
    expect(ended[2]).toBe('closed');
    await expect(bus.backlog('backlog.g1', ['backlog.a'])).rejects.toThrow(/closed/);
  });

  it('rejects publish with a retryable InfrastructureError when no broker answers', async () => {
    const bus = new KafkaBus({ ...config(), brokers: ['127.0.0.1:1'], retries: 1 }, log);
    try {
      const failure = await bus.publish('unreachable', 'k', 'v').catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(InfrastructureError);
      expect((failure as InfrastructureError).retryable).toBe(true);
      expect((failure as InfrastructureError).cause).toBeDefined();
    } finally {
      await bus.close();
    }
  });
});
