import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@chat/logger';
import { AppError, ErrorCode, InfrastructureError } from '@chat/protocol';
import { type JobFailure, type JobQueue } from './job-queue';
import { type RetryPolicy } from './retry-policy';

/**
 * Cases every JobQueue adapter passes (docs/development.md §7): run by `memory-job-queue.spec.ts` and
 * `bullmq-job-queue.int.spec.ts`. Backoffs are tens of milliseconds so the suite is quick.
 */
export interface ContractPayload {
  tag: string;
}

export type MakeJobQueue = (
  name: string,
  retry: RetryPolicy,
  log: Logger,
) => JobQueue<ContractPayload>;

interface Seen {
  tag: string;
  attempt: number;
  id: string;
  name: string;
  at: number;
}

/** Collects events and lets a test await the first one (past or future) that matches. */
class Recorder<E> {
  readonly events: E[] = [];
  private waiters: { match: (e: E) => boolean; resolve: (e: E) => void }[] = [];

  push(event: E): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(event)) return true;
      w.resolve(event);
      return false;
    });
  }

  next(match: (e: E) => boolean, what: string, timeoutMs = 10_000): Promise<E> {
    const past = this.events.find(match);
    if (past !== undefined) return Promise.resolve(past);
    return new Promise<E>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Timer and clock granularity; a backoff never ends earlier than this before its due time. */
const CLOCK_SLACK_MS = 5;

export function describeJobQueueContract(adapter: string, makeQueue: MakeJobQueue): void {
  describe(`job queue contract: ${adapter}`, () => {
    const opened: JobQueue<ContractPayload>[] = [];
    let logLines: Record<string, unknown>[] = [];

    function open(retry: RetryPolicy = { maxRetries: 3, firstDelayMs: 50 }) {
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          logLines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      });
      const log = createLogger({ name: 'contract', level: 'debug', destination: sink });
      const queue = makeQueue(`contract_${randomBytes(4).toString('hex')}`, retry, log);
      opened.push(queue);
      return queue;
    }

    beforeEach(() => {
      logLines = [];
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((q) => q.close()));
    });

    it('runs an added job once, with its name, id and payload', async () => {
      const queue = open();
      const seen = new Recorder<Seen>();
      queue.process(
        async (job) => {
          seen.push({ ...job.payload, attempt: job.attempt, id: job.id, name: job.name, at: 0 });
        },
        { concurrency: 1 },
      );

      const idA = await queue.add('greet', { tag: 'a' });
      await seen.next((e) => e.tag === 'a', 'job a');
      // A second job run after the first proves the first was not run again before it.
      const idB = await queue.add('greet', { tag: 'b' });
      await seen.next((e) => e.tag === 'b', 'job b');

      expect(idA).not.toEqual(idB);
      expect(seen.events).toEqual([
        { tag: 'a', attempt: 1, id: idA, name: 'greet', at: 0 },
        { tag: 'b', attempt: 1, id: idB, name: 'greet', at: 0 },
      ]);
    });

    it('keeps jobs added before any worker exists and runs them, oldest first, once one starts', async () => {
      const queue = open();
      await queue.add('greet', { tag: 'first' });
      await queue.add('greet', { tag: 'second' });

      const seen = new Recorder<string>();
      queue.process(async (job) => seen.push(job.payload.tag), { concurrency: 1 });
      await seen.next((t) => t === 'second', 'the second job');

      expect(seen.events).toEqual(['first', 'second']);
    });

    it('ignores a job whose id is already queued', async () => {
      const queue = open();
      expect(await queue.add('greet', { tag: 'x' }, { jobId: 'mail-x' })).toBe('mail-x');
      expect(await queue.add('greet', { tag: 'x-again' }, { jobId: 'mail-x' })).toBe('mail-x');
      await queue.add('greet', { tag: 'last' });

      const seen = new Recorder<string>();
      queue.process(async (job) => seen.push(job.payload.tag), { concurrency: 1 });
      await seen.next((t) => t === 'last', 'the last job');

      expect(seen.events).toEqual(['x', 'last']);
    });

    it('retries a retryable failure after an exponential backoff until an attempt succeeds', async () => {
      const queue = open({ maxRetries: 3, firstDelayMs: 50 });
      const starts: number[] = [];
      const failedAt: number[] = [];
      const failures: JobFailure<ContractPayload>[] = [];
      const done = new Recorder<number>();
      queue.process(
        async (job) => {
          starts.push(Date.now());
          if (job.attempt < 3) {
            failedAt.push(Date.now());
            throw new InfrastructureError('mail server unavailable');
          }
          done.push(job.attempt);
        },
        { concurrency: 1, onFailed: (f) => failures.push(f) },
      );

      await queue.add('flaky', { tag: 'flaky' });
      expect(await done.next(() => true, 'a successful attempt')).toBe(3);

      expect(starts).toHaveLength(3);
      expect(failures.map((f) => [f.job.attempt, f.willRetry, f.retryDelayMs])).toEqual([
        [1, true, 50],
        [2, true, 100],
      ]);
      expect(failures[0].error).toBeInstanceOf(InfrastructureError);
      // The backoff is a lower bound: 50 ms after attempt 1, then doubled.
      expect(starts[1] - failedAt[0]).toBeGreaterThanOrEqual(50 - CLOCK_SLACK_MS);
      expect(starts[2] - failedAt[1]).toBeGreaterThanOrEqual(100 - CLOCK_SLACK_MS);
    });

    it('gives a job that keeps failing 1 + maxRetries attempts, then reports it failed for good', async () => {
      const queue = open({ maxRetries: 2, firstDelayMs: 10 });
      const attempts: number[] = [];
      const failures = new Recorder<JobFailure<ContractPayload>>();
      queue.process(
        async (job) => {
          attempts.push(job.attempt);
          throw new Error('still broken');
        },
        { concurrency: 1, onFailed: (f) => failures.push(f) },
      );

      await queue.add('doomed', { tag: 'doomed' });
      const last = await failures.next((f) => !f.willRetry, 'the final failure');

      expect(attempts).toEqual([1, 2, 3]);
      expect(failures.events.map((f) => f.willRetry)).toEqual([true, true, false]);
      expect(last.job).toMatchObject({ attempt: 3, name: 'doomed', payload: { tag: 'doomed' } });
      expect(last.error.message).toBe('still broken');
      expect(logLines).toContainEqual(
        expect.objectContaining({ msg: 'job failed for good', jobId: last.job.id, attempt: 3 }),
      );
    });

    it('fails a job at once when the handler throws a non-retryable AppError, and reports it', async () => {
      // A zero backoff would requeue a retry ahead of the next job, so the order below
      // shows that no retry happened.
      const queue = open({ maxRetries: 3, firstDelayMs: 0 });
      const seen: string[] = [];
      const failures = new Recorder<JobFailure<ContractPayload>>();
      const done = new Recorder<string>();
      queue.process(
        async (job) => {
          seen.push(job.payload.tag);
          if (job.payload.tag === 'bad') throw new AppError(ErrorCode.InvalidParams, 'bad payload');
          done.push(job.payload.tag);
        },
        { concurrency: 1, onFailed: (f) => failures.push(f) },
      );

      await queue.add('check', { tag: 'bad' });
      const failure = await failures.next(() => true, 'the failure report');
      await queue.add('check', { tag: 'good' });
      await done.next((t) => t === 'good', 'the next job');

      expect(seen).toEqual(['bad', 'good']);
      expect(failures.events).toHaveLength(1);
      expect(failure.willRetry).toBe(false);
      expect(failure.job.attempt).toBe(1);
      expect(failure.error).toBeInstanceOf(AppError);
      expect((failure.error as AppError).code).toBe(ErrorCode.InvalidParams);
      expect(logLines).toContainEqual(
        expect.objectContaining({ msg: 'job failed for good', jobId: failure.job.id }),
      );
    });

    it('counts jobs waiting, running, waiting for a retry and failed for good', async () => {
      // A long first backoff keeps the retried job delayed while the counts are read.
      const queue = open({ maxRetries: 1, firstDelayMs: 5000 });
      const settled = async (want: object) => {
        const until = Date.now() + 5000;
        for (;;) {
          const counts = await queue.counts();
          if (JSON.stringify(counts) === JSON.stringify(want) || Date.now() > until) return counts;
          await pause(20);
        }
      };
      expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
      await queue.add('count', { tag: 'retried' });
      await queue.add('count', { tag: 'broken' });
      expect(await queue.counts()).toEqual({ waiting: 2, active: 0, delayed: 0, failed: 0 });

      const started = new Recorder<string>();
      const failures = new Recorder<JobFailure<ContractPayload>>();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      queue.process(
        async (job) => {
          started.push(job.payload.tag);
          if (job.payload.tag === 'broken') {
            throw new AppError(ErrorCode.InvalidParams, 'cannot be sent');
          }
          await gate;
          throw new InfrastructureError('mail server busy');
        },
        { concurrency: 1, onFailed: (f) => failures.push(f) },
      );
      await started.next((t) => t === 'retried', 'the first job to start');
      expect(await settled({ waiting: 1, active: 1, delayed: 0, failed: 0 })).toEqual({
        waiting: 1,
        active: 1,
        delayed: 0,
        failed: 0,
      });

      release();
      await failures.next((f) => f.job.payload.tag === 'broken', 'the broken job to fail');
      expect(await settled({ waiting: 0, active: 0, delayed: 1, failed: 1 })).toEqual({
        waiting: 0,
        active: 0,
        delayed: 1,
        failed: 1,
      });
    });

    it('close waits for the job in progress, and a closed worker takes no more jobs', async () => {
      const queue = open();
      const order: string[] = [];
      const started = new Recorder<string>();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const worker = queue.process(
        async (job) => {
          order.push(`started ${job.payload.tag}`);
          started.push(job.payload.tag);
          await gate;
          order.push(`finished ${job.payload.tag}`);
        },
        { concurrency: 1 },
      );
      await queue.add('slow', { tag: 'slow' });
      await started.next((t) => t === 'slow', 'the slow job to start');

      const closed = worker.close().then(() => order.push('closed'));
      // Give a close that does not wait the time to resolve (and fail the order below).
      await Promise.race([closed, pause(200)]);
      order.push('released');
      release();
      await closed;

      await queue.add('after', { tag: 'after' });
      const later = new Recorder<string>();
      queue.process(async (job) => later.push(job.payload.tag), { concurrency: 1 });
      await later.next((t) => t === 'after', 'the job added after close');

      expect(order).toEqual(['started slow', 'released', 'finished slow', 'closed']);
      expect(later.events).toEqual(['after']);
    });
  });
}
