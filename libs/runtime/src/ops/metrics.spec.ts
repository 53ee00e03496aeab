import type { BusRecord } from '@chat/bus';
import type { MetricValue } from 'prom-client';
import { createMetricsRegistry, instrumentBatches, registerQueueDepth } from './metrics';
import type { PartitionPosition } from '@chat/bus';
import { registerConsumerLag } from './consumer-lag';

function records(topic: string, n: number): BusRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    topic,
    partition: 0,
    offset: String(i),
    key: 'k',
    value: Buffer.from('v'),
    headers: {},
    timestamp: Date.now(),
  }));
}

/** A metric's samples; histograms name each (`_bucket`, `_sum`, `_count`). */
async function values(registry: ReturnType<typeof createMetricsRegistry>, name: string) {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  return (await metric.get()).values as (MetricValue<string> & { metricName?: string })[];
}

describe('metrics registry', () => {
  it('keeps each app apart from the global registry and from other apps', async () => {
    const a = createMetricsRegistry('a');
    const b = createMetricsRegistry('b');
    expect(await a.metrics()).toContain('process_resident_memory_bytes{app="a"}');
    expect(await b.metrics()).toContain('process_resident_memory_bytes{app="b"}');
    expect(await a.metrics()).not.toContain('app="b"');
  });

  it('records the size and duration of every batch by topic, and the batches that threw', async () => {
    const registry = createMetricsRegistry('worker');
    let fail = false;
    const handle = instrumentBatches(registry, 'persister', async () => {
      if (fail) throw new Error('database down');
    });
    await handle(records('chat.messages', 3));
    await handle(records('chat.messages', 5));
    await handle(records('chat.reads', 1));
    fail = true;
    await expect(handle(records('chat.reads', 2))).rejects.toThrow('database down');

    const sizes = await values(registry, 'chat_consumer_batch_records');
    const sum = (topic: string) =>
      sizes.find(
        (v) => v.metricName === 'chat_consumer_batch_records_sum' && v.labels.topic === topic,
      )?.value;
    const count = (topic: string) =>
      sizes.find(
        (v) => v.metricName === 'chat_consumer_batch_records_count' && v.labels.topic === topic,
      )?.value;
    expect([sum('chat.messages'), count('chat.messages')]).toEqual([8, 2]);
    expect([sum('chat.reads'), count('chat.reads')]).toEqual([3, 2]);
    const seconds = await values(registry, 'chat_consumer_batch_seconds');
    expect(
      seconds.find(
        (v) =>
          v.metricName === 'chat_consumer_batch_seconds_count' && v.labels.topic === 'chat.reads',
      )?.value,
    ).toBe(2);
    expect(await values(registry, 'chat_consumer_batch_failures_total')).toEqual([
      expect.objectContaining({ labels: { group: 'persister', topic: 'chat.reads' }, value: 1 }),
    ]);
  });

  it('reads a queue’s depth by state at each scrape, and leaves it out when the queue fails', async () => {
    const registry = createMetricsRegistry('mailer');
    let counts: Promise<{ waiting: number; active: number; delayed: number; failed: number }> =
      Promise.resolve({ waiting: 4, active: 1, delayed: 2, failed: 3 });
    registerQueueDepth(registry, { name: 'email', counts: () => counts });
    expect(await registry.metrics()).toContain(
      'chat_job_queue_jobs{queue="email",state="waiting",app="mailer"} 4',
    );
    const byState = Object.fromEntries(
      (await values(registry, 'chat_job_queue_jobs')).map((v) => [v.labels.state, v.value]),
    );
    expect(byState).toEqual({ waiting: 4, active: 1, delayed: 2, failed: 3 });

    counts = Promise.reject(new Error('redis down'));
    expect(await values(registry, 'chat_job_queue_jobs')).toEqual([]);
  });

  it('reports several queues side by side, leaving out only the one that fails', async () => {
    const registry = createMetricsRegistry('mailer');
    const depth = { waiting: 1, active: 0, delayed: 0, failed: 0 };
    registerQueueDepth(registry, [
      { name: 'email', counts: () => Promise.reject(new Error('redis down')) },
      { name: 'push', counts: async () => depth },
    ]);
    const series = await values(registry, 'chat_job_queue_jobs');
    expect(new Set(series.map((v) => v.labels.queue))).toEqual(new Set(['push']));
    expect(series).toContainEqual(
      expect.objectContaining({
        labels: expect.objectContaining({ queue: 'push', state: 'waiting' }),
        value: 1,
      }),
    );
  });

  it('reports consumer lag, committed and end offsets per partition from one read per scrape', async () => {
    const registry = createMetricsRegistry('persister');
    let reads = 0;
    const positions: PartitionPosition[] = [
      { topic: 'chat.messages', partition: 0, committed: 10, end: 15, lag: 5 },
      { topic: 'chat.messages', partition: 1, committed: 7, end: 7, lag: 0 },
    ];
    registerConsumerLag(
      registry,
      {
        positions: async (group, topics) => {
          expect([group, topics]).toEqual(['persister', ['chat.messages']]);
          reads += 1;
          return positions;
        },
      },
      'persister',
      ['chat.messages'],
    );
    const text = await registry.metrics();
    expect(reads).toBe(1);
    expect(text).toContain(
      'chat_consumer_lag_records{group="persister",topic="chat.messages",partition="0",app="persister"} 5',
    );
    expect(text).toContain(
      'chat_consumer_lag_records{group="persister",topic="chat.messages",partition="1",app="persister"} 0',
    );
    expect(text).toContain(
      'chat_consumer_committed_offset{group="persister",topic="chat.messages",partition="0",app="persister"} 10',
    );
    expect(text).toContain(
      'chat_consumer_end_offset{group="persister",topic="chat.messages",partition="0",app="persister"} 15',
    );
  });
});
