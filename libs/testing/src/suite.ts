import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';
import { Kafka, KafkaJSDeleteGroupsError, logLevel, type Admin } from 'kafkajs';
import { DEFAULT_DATABASE_URL } from './services/postgres';
import { DEFAULT_REDIS_URL } from './services/redis';
import type { ServiceEnv } from './services/services';

/**
 * What one test suite owns: a fresh database, a Redis key prefix, a Kafka topic prefix and
 * a consumer-group prefix, all unique to it, so suites run in parallel and leave nothing
 * behind once `cleanup()` has run.
 */
export interface SuiteContext {
  /** Short unique id, lower-case letters and digits. */
  id: string;
  databaseUrl: string;
  databaseName: string;
  redisUrl: string;
  redisPrefix: string;
  kafkaBrokers: string[];
  topicPrefix: string;
  groupPrefix: string;
  cleanup(): Promise<void>;
}

export interface SuiteOptions {
  /** Create the database (default true). */
  database?: boolean;
  /**
   * Services of the suite's own (private instances a fault test stops and starts); the
   * environment's (`DATABASE_URL`, `REDIS_URL`, `KAFKA_BROKERS`) for what is not given.
   */
  services?: Partial<ServiceEnv>;
}

function env(name: string, fallback: string): string {
  return process.env[name] || fallback;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates the resources of one suite. The database uses a UTF-8 character type so that
 * text functions classify Chinese characters (see docs/data-model.md §3).
 */
export async function createSuiteContext(
  name: string,
  { database = true, services = {} }: SuiteOptions = {},
): Promise<SuiteContext> {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  const id = `${slug}_${randomBytes(4).toString('hex')}`;
  const adminUrl = services.DATABASE_URL || env('DATABASE_URL', DEFAULT_DATABASE_URL);
  const databaseName = `t_${id}`;
  const redisUrl = services.REDIS_URL || env('REDIS_URL', DEFAULT_REDIS_URL);
  const kafkaBrokers = (services.KAFKA_BROKERS || env('KAFKA_BROKERS', '127.0.0.1:9092')).split(
    ',',
  );
  const redisPrefix = `t:${id}:`;
  const topicPrefix = `t_${id}.`;

  if (database) {
    await adminQuery(
      adminUrl,
      `CREATE DATABASE "${databaseName}" TEMPLATE template0 ENCODING 'UTF8' ` +
        `LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`,
    );
  }

  let cleaned = false;
  return {
    id,
    databaseUrl: withDatabase(adminUrl, databaseName),
    databaseName,
    redisUrl,
    redisPrefix,
    kafkaBrokers,
    topicPrefix,
    groupPrefix: `t_${id}.`,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      const errors: unknown[] = [];
      if (database) {
        await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`).catch(
          (e) => errors.push(e),
        );
      }
      await deleteRedisKeys(redisUrl, redisPrefix).catch((e) => errors.push(e));
      await deleteKafkaResources(kafkaBrokers, topicPrefix, `t_${id}.`).catch((e) =>
        errors.push(e),
      );
      if (errors.length) throw new AggregateError(errors, `cleanup of suite ${id} failed`);
    },
  };
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function deleteKafkaResources(
  brokers: string[],
  topicPrefix: string,
  groupPrefix: string,
): Promise<void> {
  const admin = new Kafka({
    clientId: 'suite-cleanup',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  }).admin();
  try {
    await admin.connect();
    const { groups } = await admin.listGroups();
    const groupIds = groups.map((g) => g.groupId).filter((g) => g.startsWith(groupPrefix));
    if (groupIds.length) await deleteGroups(admin, groupIds);
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Deletes consumer groups. A group whose member died without leaving stays non-empty until
 * the broker's session timeout expires it, so non-empty groups are retried for a while.
 */
async function deleteGroups(admin: Admin, groupIds: string[], patienceMs = 60_000): Promise<void> {
  const deadline = Date.now() + patienceMs;
  let pending = groupIds;
  for (;;) {
    try {
      await admin.deleteGroups(pending);
      return;
    } catch (err) {
      if (!(err instanceof KafkaJSDeleteGroupsError)) throw err;
      const failed = (err.groups ?? []) as Array<{ groupId: string; error?: { type?: string } }>;
      const retriable = failed.filter(
        (g) =>
          g.error?.type === 'NON_EMPTY_GROUP' || g.error?.type === 'COORDINATOR_LOAD_IN_PROGRESS',
      );
      if (retriable.length < failed.length || Date.now() > deadline) {
        const detail = failed.map((g) => `${g.groupId}: ${g.error?.type ?? 'unknown'}`).join(', ');
        throw new Error(`could not delete consumer groups (${detail})`, { cause: err });
      }
      if (pending === groupIds) {
        const names = retriable.map((g) => g.groupId).join(', ');
        process.stderr.write(`[suite] waiting for consumer groups to empty: ${names}\n`);
      }
      pending = retriable.map((g) => g.groupId);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
