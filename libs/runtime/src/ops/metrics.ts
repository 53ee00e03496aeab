import type { BatchHandler } from '@chat/bus';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHECK_TIMEOUT_MS, withTimeout } from './readiness';

export type { Registry } from 'prom-client';

/**
 * The metrics registry of one app: Node's default process figures (CPU, memory, event-loop
 * lag, GC, handles) plus whatever the app registers, every series labelled `app`. One
 * registry per app, never prom-client's global one, so apps sharing a process (tests, the
 * one-process runner) keep their figures apart.
 */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Records per batch: 1 up to the bus's default batch limit (500). */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
/** Seconds per batch handler call. */
const BATCH_SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Wraps a bus consumer's handler to record each batch's size and duration per topic, and
 * the batches that threw (and will be delivered again):
 * `chat_consumer_batch_records`, `chat_consumer_batch_seconds`,
 * `chat_consumer_batch_failures_total`, each labelled `group` and `topic`.
 */
export function instrumentBatches(
  registry: Registry,
  group: string,
  handle: BatchHandler,
): BatchHandler {
  const sizes = new Histogram({
    name: 'chat_consumer_batch_records',
    help: 'Records per batch handed to the consumer, by topic.',
    labelNames: ['group', 'topic'],
    buckets: BATCH_SIZE_BUCKETS,
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'chat_consumer_batch_seconds',
    help: 'Time to handle one batch, commit excluded, by topic.',
    labelNames: ['group', 'topic'],
    buckets: BATCH_SECONDS_BUCKETS,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'chat_consumer_batch_failures_total',
    help: 'Batches whose handler threw; they are delivered again.',
    labelNames: ['group', 'topic'],
    registers: [registry],
  });
  return async (records) => {
    const labels = { group, topic: records[0]?.topic ?? '' };
    sizes.observe(labels, records.length);
    const end = seconds.startTimer(labels);
    try {
      await handle(records);
    } catch (err) {
      failures.inc(labels);
      throw err;
    } finally {
      end();
    }
  };
}

/** Jobs of a queue by state, as `JobQueue.counts` reports them. */
export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/**
 * `chat_job_queue_jobs{queue, state}`: how many jobs wait, run, wait for a retry, or failed
 * for good, read from the queue at each scrape. A scrape that cannot read the queue leaves
 * the series out rather than reporting stale figures.
 */
export function registerQueueDepth(registry: Registry, queue: QueueSource | QueueSource[]): void {
  const queues = Array.isArray(queue) ? queue : [queue];
  new Gauge({
    name: 'chat_job_queue_jobs',
    help: 'Jobs in the queue by state (waiting, active, delayed, failed).',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const all = await Promise.all(
        queues.map((q) =>
          withTimeout(q.counts(), CHECK_TIMEOUT_MS, 'queue counts').catch(() => undefined),
        ),
      );
      queues.forEach((q, i) => {
        const counts = all[i];
        if (!counts) return;
        for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
      });
    },
  });
}

/** A queue whose depth `registerQueueDepth` reports. */
type QueueSource = { readonly name: string; counts(): Promise<QueueCounts> };
