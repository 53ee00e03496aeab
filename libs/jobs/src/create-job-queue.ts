import { type Logger } from '@chat/logger';
import { BullmqJobQueue } from './bullmq-job-queue';
import { type JobQueue } from './job-queue';
import { MemoryJobQueue } from './memory-job-queue';
import { type RetryPolicy } from './retry-policy';

/**
 * Which adapter backs the jobs port: BullMQ when `Redis.Url` is set, else the in-process
 * queue (docs/architecture.md, ports and adapters). `prefix` is `Redis.KeyPrefix`.
 */
export type JobQueueConfig =
  { kind: 'bullmq'; redisUrl: string; prefix: string } | { kind: 'memory' };

/** The one place that picks the job queue adapter (docs/development.md §2). */
export function createJobQueue<T>(
  cfg: JobQueueConfig,
  queue: { name: string; retry: RetryPolicy },
  log: Logger,
): JobQueue<T> {
  switch (cfg.kind) {
    case 'bullmq': {
      log.info({ port: 'jobs', adapter: 'bullmq', queue: queue.name }, 'job queue adapter');
      return new BullmqJobQueue<T>(
        queue.name,
        { redisUrl: cfg.redisUrl, prefix: cfg.prefix, retry: queue.retry },
        log,
      );
    }
    case 'memory': {
      log.info({ port: 'jobs', adapter: 'memory', queue: queue.name }, 'job queue adapter');
      return new MemoryJobQueue<T>(queue.name, queue.retry, log);
    }
    default: {
      const unknownKind: never = cfg;
      throw new Error(`unknown job queue kind ${JSON.stringify(unknownKind)}`);
    }
  }
}
