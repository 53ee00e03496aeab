import { type Logger } from '@chat/logger';
import { type JobFailure, type ProcessOptions } from './job-queue';

/** Logs one failed attempt and hands it to `onFailed`; a throwing callback is only logged. */
export function reportFailure<T>(
  log: Logger,
  queue: string,
  failure: JobFailure<T>,
  onFailed: ProcessOptions<T>['onFailed'],
): void {
  const { job, error, willRetry, retryDelayMs } = failure;
  const fields = { queue, jobId: job.id, job: job.name, attempt: job.attempt, err: error };
  if (willRetry) log.warn({ ...fields, retryDelayMs }, 'job attempt failed, will retry');
  else log.error(fields, 'job failed for good');
  try {
    onFailed?.(failure);
  } catch (err) {
    log.error({ queue, jobId: job.id, err }, 'onFailed callback threw');
  }
}
