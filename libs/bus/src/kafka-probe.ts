import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { PartitionPosition } from './bus';
import type { KafkaBusConfig } from './kafka-bus';
import { LazyAdmin } from './lazy-admin';

/**
 * Questions an operator asks of Kafka, on an admin connection of its own so that a probe
 * never waits behind the app's produce or fetch requests: does the cluster answer, and how
 * far behind is a consumer group. Connects on first use; fails fast (one retry).
 */
export class KafkaProbe {
  private readonly kafka: Kafka;
  private readonly admins: LazyAdmin;
  private closed = false;

  constructor(private readonly cfg: KafkaBusConfig) {
    this.kafka = new Kafka({
      clientId: `${cfg.clientId}-ops`,
      brokers: cfg.brokers,
      // Failures surface as failed checks and missing series; the bus logs its own.
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
      connectionTimeout: 1000,
    });
    this.admins = new LazyAdmin(this.kafka);
  }

  /** Resolves when the cluster answers a metadata request. */
  async ping(): Promise<void> {
    const admin = await this.admin();
    await admin.describeCluster();
  }

  /** Where `group` (logical name) stands on every partition of `topics` (logical names). */
  async positions(group: string, topics: string[]): Promise<PartitionPosition[]> {
    const admin = await this.admin();
    const prefix = this.cfg.topicPrefix;
    const groupId = (this.cfg.groupPrefix ?? prefix) + group;
    const physical = topics.map((t) => prefix + t);
    const [committed, ends] = await Promise.all([
      admin.fetchOffsets({ groupId, topics: physical }),
      Promise.all(
        physical.map(async (t) => ({ topic: t, offsets: await admin.fetchTopicOffsets(t) })),
      ),
    ]);
    const committedAt = new Map<string, number>();
    for (const { topic, partitions } of committed) {
      for (const p of partitions) committedAt.set(`${topic}/${p.partition}`, Number(p.offset));
    }
    return ends.flatMap(({ topic, offsets }) =>
      offsets.map((o) => {
        const end = Number(o.high);
        const stored = committedAt.get(`${topic}/${o.partition}`) ?? -1;
        // Nothing committed yet: every retained record is still ahead of the group.
        const position = stored >= 0 ? stored : Number(o.low);
        return {
          topic: topic.slice(prefix.length),
          partition: o.partition,
          committed: position,
          end,
          lag: Math.max(0, end - position),
        };
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.admins.close().catch(() => undefined);
  }

  private admin(): Promise<Admin> {
    if (this.closed) return Promise.reject(new Error('kafka probe closed'));
    return this.admins.get();
  }
}
