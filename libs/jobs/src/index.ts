export type {
  AddOptions,
  JobContext,
  JobCounts,
  JobFailure,
  JobHandler,
  JobQueue,
  JobWorker,
  ProcessOptions,
} from './job-queue';
export { createJobQueue, type JobQueueConfig } from './create-job-queue';
export { BullmqJobQueue, type BullmqJobQueueOptions } from './bullmq-job-queue';
export { MemoryJobQueue } from './memory-job-queue';
export { retryPolicyFromConfig, type RetryPolicy } from './retry-policy';
