/**
 * How long a finished job's id keeps deduplicating `add` (see `AddOptions.jobId`): both
 * adapters keep the most recent `count` finished jobs, none older than `ageMs`.
 */
export const KEEP_FINISHED = { ageMs: 60 * 60 * 1000, count: 1000 } as const;

/**
 * Rejects ids BullMQ cannot store (all digits: they collide with its own counter; `:`:
 * its key separator). Both adapters check, so a caller learns this on the memory queue too.
 */
export function checkJobId(jobId: string): string {
  if (jobId === '' || /^\d+$/.test(jobId) || jobId.includes(':')) {
    throw new TypeError(
      `job id ${JSON.stringify(jobId)}: must be non-empty, not all digits, no ":"`,
    );
  }
  return jobId;
}
