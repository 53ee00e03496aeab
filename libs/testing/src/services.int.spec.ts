import { Client } from 'pg';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { createSuiteContext, type SuiteContext } from './suite';
import { waitFor } from './wait-for';

describe('real services found or started by the harness', () => {
  let ctx: SuiteContext;

  beforeAll(async () => {
    ctx = await createSuiteContext('harness');
  });
  afterAll(async () => {
    await ctx.cleanup();
  });

  it('gives the suite its own UTF-8 database', async () => {
    const client = new Client({ connectionString: ctx.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; ctype: string; enc: string }>(
        `select current_database() as db, datctype as ctype, pg_encoding_to_char(encoding) as enc
           from pg_database where datname = current_database()`,
      );
      expect(rows[0]).toEqual({ db: ctx.databaseName, ctype: 'C.UTF-8', enc: 'UTF8' });
      // A UTF-8 ctype is what lets lower() and ILIKE treat non-ASCII text as characters.
      const { rows: r2 } = await client.query<{ n: number }>(`select length('你好世界') as n`);
      expect(r2[0].n).toBe(4);
    } finally {
      await client.end();
    }
  });

  it('round-trips a value through Redis under the suite prefix', async () => {
    const redis = new Redis(ctx.redisUrl);
    try {
      const key = `${ctx.redisPrefix}round-trip`;
      await redis.set(key, 'value-1', 'PX', 60_000);
      expect(await redis.get(key)).toBe('value-1');
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });

  it('produces a record to the real Kafka broker and consumes it back', async () => {
    const kafka = new Kafka({
      clientId: 'harness-spec',
      brokers: ctx.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const topic = `${ctx.topicPrefix}round-trip`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const sent = await producer.send({
      topic,
      acks: -1,
      messages: [{ key: 'relation-42', value: JSON.stringify({ hello: '世界' }) }],
    });
    expect(sent[0].errorCode).toBe(0);
    await producer.disconnect();

    const received: { key: string; value: unknown }[] = [];
    const consumer = kafka.consumer({ groupId: `${ctx.groupPrefix}round-trip` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({
          key: message.key!.toString(),
          value: JSON.parse(message.value!.toString()),
        });
      },
    });
    try {
      await waitFor(() => received.length > 0, { timeoutMs: 30_000, what: 'the record' });
      expect(received).toEqual([{ key: 'relation-42', value: { hello: '世界' } }]);
    } finally {
      await consumer.disconnect();
    }
  });
});

describe('suite cleanup', () => {
  it('drops the database, the Redis keys and the topics it owned', async () => {
    const ctx = await createSuiteContext('cleanup');
    const redis = new Redis(ctx.redisUrl);
    await redis.set(`${ctx.redisPrefix}k`, '1');
    const kafka = new Kafka({
      clientId: 'cleanup-spec',
      brokers: ctx.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: `${ctx.topicPrefix}t` }], waitForLeaders: true });

    await ctx.cleanup();

    expect(await redis.exists(`${ctx.redisPrefix}k`)).toBe(0);
    redis.disconnect();
    const topics = await admin.listTopics();
    expect(topics.filter((t) => t.startsWith(ctx.topicPrefix))).toEqual([]);
    await admin.disconnect();
    const pg = new Client({ connectionString: process.env.DATABASE_URL });
    await pg.connect();
    const { rowCount } = await pg.query('select 1 from pg_database where datname = $1', [
      ctx.databaseName,
    ]);
    await pg.end();
    expect(rowCount).toBe(0);
  });
});
