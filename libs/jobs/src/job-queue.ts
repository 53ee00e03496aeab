/** What a handler sees of one attempt at one job. */
export interface JobContext<T> {
  /** The id `add` returned: the caller's `jobId`, or one the queue assigned. */
  readonly id: string;
  /** The name given to `add` (e.g. `verification_code`); the queue name is separate. */
  readonly name: string;
  /** A copy of what was added, after a round trip through JSON. */
  readonly payload: T;
  /** 1 for the first attempt, 2 for the first retry, up to 1 + `RetryPolicy.maxRetries`. */
  readonly attempt: number;
}

/** Resolving completes the job; throwing fails this attempt (see `JobQueue.process`). */
export type JobHandler<T> = (job: JobContext<T>) => Promise<void>;

/** One failed attempt, as reported to `ProcessOptions.onFailed` (and logged). */
export interface JobFailure<T> {
  job: JobContext<T>;
  /** What the handler threw (wrapped in an Error when it threw something else). */
  error: Error;
  /** True when another attempt is scheduled; false when the job has failed for good. */
  willRetry: boolean;
  /** Wait before that next attempt, when `willRetry`. */
  retryDelayMs?: number;
}

export interface ProcessOptions<T> {
  /** Jobs this worker runs at the same time (an integer ≥ 1). */
  concurrency: number;
  /**
   * Called after every failed attempt, once the queue has recorded the outcome (so a
   * retry is already scheduled when `willRetry`). Every failure is also logged: a warning
   * while retries remain, an error when the job is given up.
   */
  onFailed?(failure: JobFailure<T>): void;
}

export interface AddOptions {
  /**
   * Deduplicates: adding a job whose id is still queued, running, or finished within the
   * last hour (up to the 1 000 most recent) does nothing and resolves with that id. Not
   * all digits and no `:` (BullMQ reserves those forms).
   */
  jobId?: string;
}

/** How many jobs a queue holds in each state (its depth, for metrics). */
export interface JobCounts {
  /** Ready to run, waiting for a free worker slot. */
  waiting: number;
  /** Being run by a worker now. */
  active: number;
  /** Waiting for the backoff before their next attempt. */
  delayed: number;
  /** Failed for good, among the finished jobs the queue still keeps (see `AddOptions`). */
  failed: number;
}

/** The running side of a queue, returned by `JobQueue.process`. */
export interface JobWorker {
  /**
   * Stops taking jobs and resolves once the jobs it is running have finished (completed
   * or failed with their retry scheduled). Has no timeout of its own (docs/development.md §4); safe to
   * call twice.
   */
  close(): Promise<void>;
}

/**
 * A named queue of background jobs (docs/architecture.md: the `email` queue). Each job is run
 * at least once by one worker; a crash mid-job means it runs again, so handlers must
 * tolerate a repeat. Jobs wait for a worker: adding works with no worker running, and the
 * producer side never starts one.
 *
 * Retry policy (docs/api.md §1.5, `Auto.Retry`): a job gets 1 + `maxRetries` attempts. After
 * failed attempt n the next one waits `firstDelayMs × 2^(n−1)` (5 s, 10 s, 20 s with the
 * defaults). A handler that throws an `AppError` whose `retryable` is false fails the job
 * at once; any other throw is retried while attempts remain.
 */
export interface JobQueue<T> {
  /** The queue's name (e.g. `QUEUES.email`). */
  readonly name: string;
  /**
   * Resolves with the job id once the job is durably queued (written to Redis for BullMQ;
   * held in memory, lost on exit, for the in-process queue); rejects otherwise.
   */
  add(name: string, payload: T, opts?: AddOptions): Promise<string>;
  /** Starts a worker that runs `handler` for each job, oldest first, under the policy. */
  process(handler: JobHandler<T>, opts: ProcessOptions<T>): JobWorker;
  /**
   * The queue's depth by state, across every process working it (BullMQ: read from Redis;
   * the in-process queue: this process's jobs). Rejects when the queue cannot be reached.
   */
  counts(): Promise<JobCounts>;
  /**
   * Resolves when the queue's store answers (BullMQ: Redis `PING` on a probe connection of
   * the queue's own that fails at once while Redis is away); in memory, while open.
   * `/readyz` asks it.
   */
  ping(): Promise<void>;
  /** Closes every worker this queue started (waiting for their jobs), then the queue. */
  close(): Promise<void>;
}
