import type { BusConfig } from '@chat/bus';
import { KafkaProbe } from './kafka-probe';
import type { ReadinessCheck } from './readiness';
import { RedisProbe } from './redis-probe';

/** The production services an app talks to; an embedded adapter has nothing to probe. */
export interface ProbedServices {
  /** The database (MikroORM's `orm`): `isConnected` runs a trivial query. */
  database?: { isConnected(): Promise<boolean> };
  /** `Redis.Url`, when the app uses Redis. */
  redisUrl?: string;
  /** The app's bus config; probed when it is Kafka. */
  bus?: BusConfig;
}

/**
 * The readiness checks of an app's dependencies (`database`, `redis`, `kafka`), and the
 * Kafka probe that the consumer-lag gauges read. Close it after the app's own adapters.
 */
export class DependencyProbes {
  readonly checks: ReadinessCheck[] = [];
  readonly kafka?: KafkaProbe;
  private readonly redis?: RedisProbe;

  constructor(services: ProbedServices) {
    const { database, redisUrl, bus } = services;
    if (database) this.checks.push({ name: 'database', check: () => database.isConnected() });
    if (redisUrl) {
      const redis = (this.redis = new RedisProbe(redisUrl));
      this.checks.push({ name: 'redis', check: () => redis.ping() });
    }
    if (bus?.kind === 'kafka') {
      const { kind: _kind, ...kafkaConfig } = bus;
      const kafka = (this.kafka = new KafkaProbe(kafkaConfig));
      this.checks.push({ name: 'kafka', check: () => kafka.ping() });
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.redis?.close(), this.kafka?.close()]);
  }
}
