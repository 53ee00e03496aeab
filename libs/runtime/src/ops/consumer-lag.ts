import type { Bus, PartitionPosition } from '@chat/bus';
import { Gauge, type Registry } from 'prom-client';
import { CHECK_TIMEOUT_MS, withTimeout } from './readiness';

/**
 * Consumer-lag series of one group, read from Kafka at each scrape (committed offset
 * against the high watermark), labelled `group`, `topic`, `partition`:
 * `chat_consumer_lag_records`, `chat_consumer_committed_offset`, `chat_consumer_end_offset`.
 * A scrape that cannot reach Kafka leaves them out rather than reporting stale figures.
 */
export function registerConsumerLag(
  registry: Registry,
  bus: Pick<Bus, 'positions'>,
  group: string,
  topics: string[],
): void {
  // The three gauges are collected at once per scrape: they share one round of requests.
  let inFlight: Promise<PartitionPosition[]> | undefined;
  const snapshot = () =>
    (inFlight ??= withTimeout(bus.positions(group, topics), CHECK_TIMEOUT_MS, 'kafka offsets')
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
