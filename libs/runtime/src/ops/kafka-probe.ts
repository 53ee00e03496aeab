import type { KafkaBusConfig } from '@chat/bus';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';
import { CHECK_TIMEOUT_MS, withTimeout } from './readiness';

/** Where a consumer group stands on one partition (logical topic name). */
export interface PartitionPosition {
  topic: string;
  partition: number;
  /** The group's committed offset: the next record it will handle. */
  committed: number;
  /** The log end offset (high watermark): the offset the next record appended will get. */
  end: number;
  /** Records appended but not yet handled and committed by the group: `end − committed`. */
  lag: number;
}

/**
 * Questions an operator asks of Kafka, on an admin connection of its own so that a probe
 * never waits behind the app's produce or fetch requests: does the cluster answer, and how
 * far behind is a consumer group. Connects on first use; fails fast (one retry).
 */
export class KafkaProbe {
  private readonly kafka: Kafka;
  private adminReady?: Promise<Admin>;
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
    const admin = await this.adminReady?.catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }

  private admin(): Promise<Admin> {
    if (this.closed) return Promise.reject(new Error('kafka probe closed'));
    return (this.adminReady ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        return admin;
      } catch (err) {
        this.adminReady = undefined;
        await admin.disconnect().catch(() => undefined);
        throw err;
      }
    })());
  }
}

/**
 * Consumer-lag series of one group, read from Kafka at each scrape (committed offset
 * against the high watermark), labelled `group`, `topic`, `partition`:
 * `chat_consumer_lag_records`, `chat_consumer_committed_offset`, `chat_consumer_end_offset`.
 * A scrape that cannot reach Kafka leaves them out rather than reporting stale figures.
 */
export function registerConsumerLag(
  registry: Registry,
  probe: Pick<KafkaProbe, 'positions'>,
  group: string,
  topics: string[],
): void {
  // The three gauges are collected at once per scrape: they share one round of requests.
  let inFlight: Promise<PartitionPosition[]> | undefined;
  const snapshot = () =>
    (inFlight ??= withTimeout(probe.positions(group, topics), CHECK_TIMEOUT_MS, 'kafka offsets')
      .catch(() => [])
      .finally(() => (inFlight = undefined)));
  const gauge = (name: string, help: string, pick: (p: PartitionPosition) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
      async collect() {
        const positions = await snapshot();
        this.reset();
        for (const p of positions) {
          this.set({ group, topic: p.topic, partition: String(p.partition) }, pick(p));
        }
      },
    });
  gauge(
    'chat_consumer_lag_records',
    'Records appended to the partition that the group has not handled and committed yet.',
    (p) => p.lag,
  );
  gauge(
    'chat_consumer_committed_offset',
    'Committed offset of the group on the partition (the next record it will handle).',
    (p) => p.committed,
  );
  gauge(
    'chat_consumer_end_offset',
    'Log end offset (high watermark) of the partition.',
    (p) => p.end,
  );
}
