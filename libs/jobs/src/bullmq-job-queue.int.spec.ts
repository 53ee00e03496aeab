import { Redis } from 'ioredis';
import { createLogger } from '@chat/logger';
import { createSuiteContext, type SuiteContext } from '@chat/testing';
import { BullmqJobQueue } from './bullmq-job-queue';
import { createJobQueue } from './create-job-queue';
import { describeJobQueueContract } from './job-queue.contract';

let ctx: SuiteContext;

beforeAll(async () => {
  ctx = await createSuiteContext('bullmq-job-queue', { database: false });
});

afterAll(async () => {
  await ctx?.cleanup();
});

describeJobQueueContract(
  'bullmq',
  (name, retry, log) =>
    new BullmqJobQueue(name, { redisUrl: ctx.redisUrl, prefix: ctx.redisPrefix, retry }, log),
);

describe('BullmqJobQueue', () => {
  const log = createLogger({ name: 'test', level: 'silent' });

  it('keeps every key of the queue under the configured prefix', async () => {
    const queue = createJobQueue<{ n: number }>(
      { kind: 'bullmq', redisUrl: ctx.redisUrl, prefix: ctx.redisPrefix },
      { name: 'prefixed', retry: { maxRetries: 0, firstDelayMs: 0 } },
      log,
    );
    expect(queue).toBeInstanceOf(BullmqJobQueue);
    const redis = new Redis(ctx.redisUrl);
    try {
      await queue.add('n', { n: 1 });
      const keys = await redis.keys(`*prefixed*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((k) => !k.startsWith(`${ctx.redisPrefix}jobs:prefixed:`))).toEqual([]);
    } finally {
      redis.disconnect();
      await queue.close();
    }
  });

  it('adds without starting a worker, and a second producer sees the same jobs', async () => {
    const retry = { maxRetries: 0, firstDelayMs: 0 };
    const producer = new BullmqJobQueue<{ n: number }>(
      'shared',
      { redisUrl: ctx.redisUrl, prefix: ctx.redisPrefix, retry },
      log,
    );
    const consumer = new BullmqJobQueue<{ n: number }>(
      'shared',
      { redisUrl: ctx.redisUrl, prefix: ctx.redisPrefix, retry },
      log,
    );
    try {
      await producer.add('n', { n: 7 });
      const got = await new Promise<number>((resolve) => {
        consumer.process(async (job) => resolve(job.payload.n), { concurrency: 1 });
      });
      expect(got).toBe(7);
    } finally {
      await Promise.all([producer.close(), consumer.close()]);
    }
  });

  it('reports a failed add as a retryable infrastructure error when Redis is unreachable', async () => {
    const queue = new BullmqJobQueue(
      'unreachable',
      {
        redisUrl: 'redis://127.0.0.1:1',
        prefix: ctx.redisPrefix,
        retry: { maxRetries: 0, firstDelayMs: 0 },
        addTimeoutMs: 300,
      },
      log,
    );
    try {
      await expect(queue.add('n', {})).rejects.toMatchObject({
        name: 'InfrastructureError',
        retryable: true,
      });
    } finally {
      await queue.close();
    }
  });
});
