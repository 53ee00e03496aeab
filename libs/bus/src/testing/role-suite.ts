import path from 'node:path';
import type { Bus } from '../bus';
import { createBus } from '../create-bus';
import { loadConfig, type Config } from '@chat/config';
import { snowflakeTime, type SnowflakeGenerator } from '@chat/ids';
import type { Logger } from '@chat/logger';
import { TOPICS, type MessageRecord, type StoredRecord } from '@chat/protocol';
import type { SuiteContext } from '@chat/testing';

/**
 * What the integration suites of the Kafka roles (persister, notifier) share: the role's
 * config on the suite's services, the suite's own Kafka client, and message records as the
 * gateways and the persister publish them.
 */

const CONFIG_DIR = path.resolve(__dirname, '../../../../config/app');

/**
 * The repository's config (`config/app`, no environment) on the suite's database (a pool of
 * 4), Redis prefix and Kafka prefixes, with `overrides` (whole sections) on top.
 */
export function suiteConfig(
  ctx: SuiteContext,
  overrides: Record<string, unknown> = {},
  { partitions = 2 }: { partitions?: number } = {},
): Config {
  return loadConfig({
    dir: CONFIG_DIR,
    env: {},
    overrides: {
      Postgresql: { Url: ctx.databaseUrl, PoolMax: 4 },
      Redis: { Url: ctx.redisUrl, KeyPrefix: ctx.redisPrefix },
      Kafka: {
        Brokers: ctx.kafkaBrokers.join(','),
        TopicPrefix: ctx.topicPrefix,
        Partitions: partitions,
      },
      ...overrides,
    },
  });
}

/**
 * The suite's own Kafka client on the suite's topic and group prefixes: it publishes what
 * the role consumes and subscribes to what the role produces. Short session and wait times,
 * so that a test's consumer joins and hears quickly.
 */
export function suiteBus(ctx: SuiteContext, clientId: string, log: Logger, partitions = 2): Bus {
  return createBus(
    {
      kind: 'kafka',
      brokers: ctx.kafkaBrokers,
      clientId,
      topicPrefix: ctx.topicPrefix,
      groupPrefix: ctx.groupPrefix,
      partitions,
      replicationFactor: 1,
      consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 },
    },
    log,
  );
}

/**
 * A text message as a gateway publishes it on `chat.messages`: a new id from `ids`, sent by
 * `accountId` (`null`: a system message), with `more` on top.
 */
export function messageRecord(
  ids: SnowflakeGenerator,
  relationId: number,
  accountId: number | null,
  more: Partial<MessageRecord> = {},
): MessageRecord {
  const id = ids.next();
  return {
    id,
    relation_id: relationId,
    notify_type: accountId === null ? 'system' : 'common',
    msg_type: 'text',
    msg_content: `message ${id}`,
    msg_extend: null,
    file_id: null,
    account_id: accountId,
    rly_msg_id: null,
    client_msg_id: null,
    create_at: snowflakeTime(id).toISOString(),
    ...more,
  };
}

/** Publishes records on `chat.stored` as the persister announces them: keyed by relation. */
export function publishStored(bus: Bus, records: StoredRecord[]): Promise<void> {
  return bus.publishMany(
    records.map((r) => ({
      topic: TOPICS.stored,
      key: String(r.message.relation_id),
      value: JSON.stringify(r),
    })),
  );
}
