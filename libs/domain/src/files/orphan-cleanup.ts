import type { FileRecord, FileRepository } from '@chat/db';
import type { Logger } from '@chat/logger';
import type { FileStore } from './ports';

export interface OrphanCleanupDeps {
  files: Pick<FileRepository, 'orphans' | 'countOrphans' | 'deleteOrphan'>;
  store: Pick<FileStore, 'delete'>;
  log: Logger;
  /** `Auto.Retry`: wait between attempts, and retries after the first attempt. */
  retry: { delayMs: number; maxTimes: number };
  /** Stops the run between two files (shutdown). */
  signal?: AbortSignal;
  /** Orphans read per query. */
  batchSize?: number;
  /** A progress line every this many files (and one at the end). */
  progressEvery?: number;
}

export interface CleanupSummary {
  /** Orphans found when the run started (files orphaned during the run may add to `done`). */
  total: number;
  /** Files handled, deleted or failed. */
  done: number;
  deleted: number;
  failed: number;
  /** True when the signal stopped the run before the end. */
  stopped: boolean;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * One run of the orphan-file clean-up (docs/api.md §14): for each orphan of docs/data-model.md §2.7, by
 * id, delete the stored object and then its row, with the `Auto.Retry` policy per file.
 * A file that still fails is logged and left for the next run; the others go on
 * (docs/pitfalls.md §23). Object first: a row without its object would never be retried,
 * an object without its row could never be found again.
 */
export async function cleanOrphanFiles(d: OrphanCleanupDeps): Promise<CleanupSummary> {
  const batchSize = d.batchSize ?? 100;
  const progressEvery = d.progressEvery ?? 100;
  const summary: CleanupSummary = {
    total: await d.files.countOrphans(),
    done: 0,
    deleted: 0,
    failed: 0,
    stopped: false,
  };
  d.log.info({ total: summary.total }, 'orphan file clean-up started');

  const deleteOne = async (file: FileRecord): Promise<boolean> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await d.store.delete(file.key);
        await d.files.deleteOrphan(file.id);
        return true;
      } catch (err) {
        if (attempt >= d.retry.maxTimes || d.signal?.aborted) {
          d.log.error(
            { err, fileId: file.id, key: file.key, attempts: attempt + 1 },
            'orphan file not deleted; the next run retries it',
          );
          return false;
        }
        d.log.warn(
          { err, fileId: file.id, attempt: attempt + 1 },
          'orphan file delete failed; retrying',
        );
        await pause(d.retry.delayMs, d.signal);
      }
    }
  };

  let afterId = 0;
  outer: for (;;) {
    const batch = await d.files.orphans(afterId, batchSize);
    if (!batch.length) break;
    for (const file of batch) {
      if (d.signal?.aborted) {
        summary.stopped = true;
        break outer;
      }
      afterId = file.id;
      if (await deleteOne(file)) summary.deleted++;
      else summary.failed++;
      summary.done++;
      d.log.debug({ fileId: file.id, key: file.key }, 'orphan file handled');
      if (summary.done % progressEvery === 0) {
        d.log.info(
          { done: summary.done, total: Math.max(summary.total, summary.done) },
          'orphan file clean-up progress',
        );
      }
    }
  }
  d.log.info({ ...summary }, 'orphan file clean-up finished');
  return summary;
}
