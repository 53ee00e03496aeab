import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { type Logger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { checkJobId, KEEP_FINISHED } from './job-ids';
import {
  type AddOptions,
  type JobContext,
  type JobCounts,
  type JobHandler,
  type JobQueue,
  type JobWorker,
  type ProcessOptions,
} from './job-queue';
import { bullmqPrefix } from './keys';
import { reportFailure } from './report-failure';
import {
  checkRetryPolicy,
  isRetryable,
  maxAttempts,
  toError,
  type RetryPolicy,
} from './retry-policy';

const DEFAULT_ADD_TIMEOUT_MS = 5000;

export interface BullmqJobQueueOptions {
  redisUrl: string;
  /** The deployment's Redis key prefix (`Redis.KeyPrefix`); see `keys.ts`. */
  prefix: string;
  retry: RetryPolicy;
  /**
   * Bound on one `add` (default 5 s): BullMQ waits for Redis without limit, and a caller
   * (an api request) must not. A timed-out add may still land later; a caller that retries
   * passes a `jobId` so the job is queued once.
   */
  addTimeoutMs?: number;
}

/**
 * The jobs port on BullMQ (docs/architecture.md): jobs live in Redis, so they survive restarts
 * and any number of processes can add or work. Constructing one opens only the producer
 * connection; `process` opens a worker's own connections. BullMQ stores attempts and
 * backoff on each job as it is added, so a job follows the retry policy of the producer
 * that added it (every app reads the same `Auto.Retry`).
 */
export class BullmqJobQueue<T> implements JobQueue<T> {
  // Typed `unknown` inside: BullMQ's generics cannot resolve an open `T`; `add` takes a T.
  private readonly queue: Queue<unknown, void, string>;
  /** The connection `ping` asks (`openProbe`), opened on first use. */
  private probe?: Redis;
  private readonly prefix: string;
  private readonly workers = new Set<BullmqWorker<T>>();
  private closing?: Promise<void>;

  constructor(
    readonly name: string,
    private readonly opts: BullmqJobQueueOptions,
    private readonly log: Logger,
  ) {
    const policy = checkRetryPolicy(opts.retry);
    this.prefix = bullmqPrefix(opts.prefix);
    this.queue = new Queue<unknown, void, string>(name, {
      // Producer commands fail after two reconnect attempts (and `add` is bounded by
      // `addTimeoutMs`); a worker (below) waits for Redis indefinitely, as BullMQ requires.
      // Closing while Redis is unreachable drops the socket after 0.5 s, not ioredis' 2 s,
      // so a shutdown is not held up by it.
      connection: { url: opts.redisUrl, maxRetriesPerRequest: 2, disconnectTimeout: 500 },
      prefix: this.prefix,
      defaultJobOptions: {
        attempts: maxAttempts(policy),
        backoff: { type: 'exponential', delay: policy.firstDelayMs },
        removeOnComplete: { age: KEEP_FINISHED.ageMs / 1000, count: KEEP_FINISHED.count },
        removeOnFail: { age: KEEP_FINISHED.ageMs / 1000, count: KEEP_FINISHED.count },
      },
    });
    this.queue.on('error', (err: Error) =>
      log.warn({ queue: name, err: err.message }, 'job queue connection error'),
    );
  }

  async add(name: string, payload: T, opts: AddOptions = {}): Promise<string> {
    if (this.closing) {
      throw new InfrastructureError(`job queue ${this.name}: closed`, undefined, false);
    }
    const jobId = opts.jobId === undefined ? undefined : checkJobId(opts.jobId);
    const timeoutMs = this.opts.addTimeoutMs ?? DEFAULT_ADD_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer from Redis within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const job = await Promise.race([this.queue.add(name, payload, { jobId }), timeout]);
      return job.id ?? String(jobId);
    } catch (err) {
      throw new InfrastructureError(`job queue ${this.name}: add failed`, err);
    } finally {
      clearTimeout(timer);
    }
  }

  process(handler: JobHandler<T>, opts: ProcessOptions<T>): JobWorker {
    if (this.closing) throw new Error(`job queue ${this.name}: closed`);
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new RangeError(`concurrency must be an integer ≥ 1, got ${opts.concurrency}`);
    }
    const worker = new BullmqWorker<T>(
      this.name,
      { redisUrl: this.opts.redisUrl, prefix: this.prefix },
      handler,
      opts,
      this.log,
      () => this.workers.delete(worker),
    );
    this.workers.add(worker);
    return worker;
  }

  /**
   * `PING` on a connection of the queue's own that never queues a command while it is
   * disconnected, so a ping fails at once while Redis is away rather than waiting for the
   * queue connection's reconnect attempts (BullMQ does not expose that connection).
   */
  async ping(): Promise<void> {
    if (this.closing)
      throw new InfrastructureError(`job queue ${this.name}: closed`, undefined, false);
    this.probe ??= this.openProbe();
    try {
      if (this.probe.status === 'wait') await this.probe.connect();
      await this.probe.ping();
    } catch (err) {
      throw new InfrastructureError(`job queue ${this.name}: Redis does not answer`, err);
    }
  }

  private openProbe(): Redis {
    const probe = new Redis(this.opts.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      // Closing never waits on a dead socket (ioredis waits 2 s by default).
      disconnectTimeout: 100,
    });
    // Failures surface as failed pings; without a listener ioredis prints them.
    probe.on('error', () => undefined);
    return probe;
  }

  async counts(): Promise<JobCounts> {
    try {
      const c = await this.queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed');
      return {
        waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        failed: c.failed ?? 0,
      };
    } catch (err) {
      throw new InfrastructureError(`job queue ${this.name}: counts failed`, err);
    }
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await Promise.all([...this.workers].map((w) => w.close()));
      await this.queue.close().catch((err: unknown) => {
        this.log.warn({ queue: this.name, err }, 'job queue close failed');
      });
      this.probe?.disconnect();
    })());
  }
}

class BullmqWorker<T> implements JobWorker {
  private readonly worker: Worker<unknown, void, string>;
  private closing?: Promise<void>;

  constructor(
    private readonly queueName: string,
    settings: { redisUrl: string; prefix: string },
    handler: JobHandler<T>,
    opts: ProcessOptions<T>,
    private readonly log: Logger,
    private readonly onClosed: () => void,
  ) {
    const contexts = new WeakMap<Job<unknown, void, string>, JobContext<T>>();
    this.worker = new Worker<unknown, void, string>(
      queueName,
      async (job) => {
        const context = toContext<T>(job);
        contexts.set(job, context);
        try {
          await handler(context);
        } catch (err) {
          if (isRetryable(err)) throw toError(err);
          // BullMQ's way to fail a job with attempts left; the original travels as cause.
          const unrecoverable = new UnrecoverableError(toError(err).message);
          unrecoverable.cause = err;
          throw unrecoverable;
        }
      },
      {
        connection: { url: settings.redisUrl, maxRetriesPerRequest: null, disconnectTimeout: 500 },
        prefix: settings.prefix,
        concurrency: opts.concurrency,
      },
    );
    this.worker.on('error', (err: Error) =>
      log.warn({ queue: queueName, err: err.message }, 'job worker error'),
    );
    this.worker.on('failed', (job, err) => {
      if (!job) return;
      // BullMQ has recorded the outcome: attemptsMade now counts this attempt, and a
      // retry's wait is in `delay`. Attempts and backoff are stored on each job by the
      // producer that added it, so the job's own numbers are the truth here.
      const unrecoverable = err instanceof UnrecoverableError;
      const willRetry = !unrecoverable && job.attemptsMade < (job.opts.attempts ?? 1);
      reportFailure(
        log,
        queueName,
        {
          job: contexts.get(job) ?? toContext<T>(job, job.attemptsMade - 1),
          error: unrecoverable && err.cause instanceof Error ? err.cause : err,
          willRetry,
          retryDelayMs: willRetry ? job.delay : undefined,
        },
        opts.onFailed,
      );
    });
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      try {
        // Not forced: BullMQ waits for the jobs this worker is running (docs/development.md §4).
        await this.worker.close();
      } catch (err) {
        this.log.warn({ queue: this.queueName, err }, 'job worker close failed');
      } finally {
        this.onClosed();
      }
    })());
  }
}

function toContext<T>(
  job: Job<unknown, void, string>,
  attemptsBefore = job.attemptsMade,
): JobContext<T> {
  return {
    id: String(job.id),
    name: job.name,
    payload: job.data as T,
    attempt: attemptsBefore + 1,
  };
}
