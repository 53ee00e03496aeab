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
import { reportFailure } from './report-failure';
import {
  checkRetryPolicy,
  isRetryable,
  maxAttempts,
  retryDelayMs,
  toError,
  type RetryPolicy,
} from './retry-policy';

interface Entry {
  id: string;
  name: string;
  /** Payloads are stored as JSON, as in Redis, so a worker never shares the caller's object. */
  json: string;
  attemptsMade: number;
}

/**
 * The in-process job queue (docs/architecture.md: embedded default of the jobs port): the
 * same ordering, retry policy, deduplication and close semantics as BullMQ, held in this
 * process's memory. Jobs still queued or waiting for a retry are lost when the process
 * exits or the queue is closed (logged with their count); producer and workers must share
 * this one instance.
 */
export class MemoryJobQueue<T> implements JobQueue<T> {
  private readonly policy: RetryPolicy;
  /** Jobs ready to run, oldest first. */
  private readonly ready: Entry[] = [];
  /** Retries waiting for their backoff. */
  private readonly delayed = new Map<NodeJS.Timeout, Entry>();
  /** Ids of jobs queued, running or waiting for a retry. */
  private readonly live = new Set<string>();
  /** Ids of finished jobs → when they finished, oldest first (insertion order). */
  private readonly finished = new Map<string, number>();
  /** Ids among `finished` that failed for good. */
  private readonly failed = new Set<string>();
  /** Attempts being run by workers now. */
  private running = 0;
  private readonly workers = new Set<MemoryWorker<T>>();
  private nextId = 1;
  private dispatchScheduled = false;
  private closing?: Promise<void>;

  constructor(
    readonly name: string,
    retry: RetryPolicy,
    private readonly log: Logger,
  ) {
    this.policy = checkRetryPolicy(retry);
  }

  async add(name: string, payload: T, opts: AddOptions = {}): Promise<string> {
    if (this.closing) {
      throw new InfrastructureError(`job queue ${this.name}: closed`, undefined, false);
    }
    const id = opts.jobId === undefined ? String(this.nextId++) : checkJobId(opts.jobId);
    this.forgetOldFinished();
    if (this.live.has(id) || this.finished.has(id)) return id;
    const json = JSON.stringify(payload);
    if (json === undefined) throw new TypeError(`job ${name}: payload is not JSON`);
    this.live.add(id);
    this.ready.push({ id, name, json, attemptsMade: 0 });
    this.scheduleDispatch();
    return id;
  }

  process(handler: JobHandler<T>, opts: ProcessOptions<T>): JobWorker {
    if (this.closing) throw new Error(`job queue ${this.name}: closed`);
    const worker = new MemoryWorker(this, handler, opts);
    this.workers.add(worker);
    this.scheduleDispatch();
    return worker;
  }

  async ping(): Promise<void> {
    if (this.closing)
      throw new InfrastructureError(`job queue ${this.name}: closed`, undefined, false);
  }

  async counts(): Promise<JobCounts> {
    this.forgetOldFinished();
    return {
      waiting: this.ready.length,
      active: this.running,
      delayed: this.delayed.size,
      failed: this.failed.size,
    };
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await Promise.all([...this.workers].map((w) => w.close()));
      for (const timer of this.delayed.keys()) clearTimeout(timer);
      const dropped = this.ready.length + this.delayed.size;
      if (dropped > 0) {
        this.log.warn({ queue: this.name, dropped }, 'in-process job queue closed with jobs left');
      }
      this.ready.length = 0;
      this.delayed.clear();
      this.live.clear();
    })());
  }

  /** @internal Called by a worker that stops taking jobs. */
  detach(worker: MemoryWorker<T>): void {
    this.workers.delete(worker);
  }

  /** @internal Runs one attempt of `entry` on `handler`, then records the outcome. */
  async runAttempt(entry: Entry, handler: JobHandler<T>, opts: ProcessOptions<T>): Promise<void> {
    const job: JobContext<T> = {
      id: entry.id,
      name: entry.name,
      payload: JSON.parse(entry.json) as T,
      attempt: entry.attemptsMade + 1,
    };
    this.running += 1;
    try {
      await handler(job);
      entry.attemptsMade += 1;
      this.finish(entry);
    } catch (thrown) {
      entry.attemptsMade += 1;
      const error = toError(thrown);
      const willRetry = isRetryable(thrown) && entry.attemptsMade < maxAttempts(this.policy);
      const delayMs = willRetry ? retryDelayMs(this.policy, entry.attemptsMade) : undefined;
      if (delayMs === undefined) this.finish(entry, true);
      else this.retryLater(entry, delayMs);
      reportFailure(
        this.log,
        this.name,
        { job, error, willRetry, retryDelayMs: delayMs },
        opts.onFailed,
      );
    } finally {
      this.running -= 1;
      this.scheduleDispatch();
    }
  }

  private retryLater(entry: Entry, delayMs: number): void {
    if (this.closing) return;
    // A zero backoff requeues at once, as BullMQ does (behind jobs already waiting).
    if (delayMs === 0) {
      this.ready.push(entry);
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.ready.push(entry);
      this.scheduleDispatch();
    }, delayMs);
    this.delayed.set(timer, entry);
  }

  private finish(entry: Entry, hasFailed = false): void {
    this.live.delete(entry.id);
    this.finished.set(entry.id, Date.now());
    if (hasFailed) this.failed.add(entry.id);
    this.forgetOldFinished();
  }

  private forgetOldFinished(): void {
    const oldest = Date.now() - KEEP_FINISHED.ageMs;
    for (const [id, at] of this.finished) {
      if (at >= oldest && this.finished.size <= KEEP_FINISHED.count) break;
      this.finished.delete(id);
      this.failed.delete(id);
    }
  }

  /** Hands ready jobs to workers with a free slot on a later tick, never inside `add`. */
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.ready.length > 0) {
      const worker = [...this.workers].find((w) => w.hasFreeSlot());
      if (!worker) return;
      worker.start(this.ready.shift()!);
    }
  }
}

class MemoryWorker<T> implements JobWorker {
  private readonly active = new Set<Promise<void>>();
  private closing?: Promise<void>;
  private readonly concurrency: number;
  /** An open worker keeps the process alive, as a BullMQ worker's connection does. */
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    private readonly queue: MemoryJobQueue<T>,
    private readonly handler: JobHandler<T>,
    private readonly opts: ProcessOptions<T>,
  ) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new RangeError(`concurrency must be an integer ≥ 1, got ${opts.concurrency}`);
    }
    this.concurrency = opts.concurrency;
    this.keepAlive = setInterval(() => undefined, 2 ** 31 - 1);
  }

  hasFreeSlot(): boolean {
    return !this.closing && this.active.size < this.concurrency;
  }

  start(entry: Entry): void {
    const run = this.queue.runAttempt(entry, this.handler, this.opts).finally(() => {
      this.active.delete(run);
    });
    this.active.add(run);
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.queue.detach(this);
      clearInterval(this.keepAlive);
      await Promise.all(this.active);
    })());
  }
}
