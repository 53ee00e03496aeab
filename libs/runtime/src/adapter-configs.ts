import type { BusConfig } from '@chat/bus';
import type { CacheConfig } from '@chat/cache';
import type { Config } from '@chat/config';
import type { JobQueueConfig } from '@chat/jobs';

/**
 * The one mapping from configuration to each port's adapter config: a connection key that
 * is set selects the production adapter, an unset one the embedded adapter
 * (ARCHITECTURE.md, ports and adapters).
 */
export function cacheConfig(config: Pick<Config, 'Redis'>): CacheConfig {
  return config.Redis.Url
    ? { kind: 'redis', url: config.Redis.Url, prefix: config.Redis.KeyPrefix }
    : { kind: 'memory' };
}

/** `role` names the client towards the brokers (`chat-api`, `chat-persister`). */
export function busConfig(config: Pick<Config, 'Kafka' | 'App'>, role: string): BusConfig {
  const k = config.Kafka;
  return k.Brokers
    ? {
        kind: 'kafka',
        brokers: k.Brokers,
        clientId: `${k.ClientId}-${role}`,
        topicPrefix: k.TopicPrefix,
        groupPrefix: k.TopicPrefix,
        partitions: k.Partitions,
        replicationFactor: k.ReplicationFactor,
      }
    : { kind: 'memory', partitions: k.Partitions };
}

export function jobQueueConfig(config: Pick<Config, 'Redis'>): JobQueueConfig {
  return config.Redis.Url
    ? { kind: 'bullmq', redisUrl: config.Redis.Url, prefix: config.Redis.KeyPrefix }
    : { kind: 'memory' };
}

/** Until the embedded database lands, the distributed apps need `Postgresql.Url`. */
export function requireDatabaseUrl(config: Pick<Config, 'Postgresql'>): string {
  if (!config.Postgresql.Url) {
    throw new Error('Postgresql.Url: not set. Set it in config/app/private.yml or DATABASE_URL.');
  }
  return config.Postgresql.Url;
}
