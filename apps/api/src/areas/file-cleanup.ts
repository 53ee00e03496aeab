import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { ENTRY_KEYS, type Cache } from '@chat/cache';
import { cleanOrphanFiles, type CleanupSummary, type OrphanCleanupDeps } from '@chat/domain';
import type { Logger } from '@chat/logger';
import type { Closable } from '@chat/runtime';

/** The cluster-wide lock of the clean-up job (docs/data-model.md §4: "cleanup job lock"). */
export const FILE_CLEANUP_LOCK_KEY = ENTRY_KEYS.fileCleanupLock;

export interface FileCleanupDeps extends Omit<OrphanCleanupDeps, 'log'> {
  lock: Pick<Cache, 'setIfAbsent' | 'releaseLock'>;
  /** How long the lock outlives a holder that died mid-run, ms. */
  lockTtlMs: number;
  log: Logger;
}

/**
 * One run of the orphan-file clean-up (docs/api.md §14) under the cluster-wide lock: `skipped`
 * when another instance holds it. The lock is released at the end (only while this run
 * still holds it), so concurrent runs never overlap.
 */
export async function runFileCleanupOnce(d: FileCleanupDeps): Promise<CleanupSummary | 'skipped'> {
  const holder = `${os.hostname()}:${process.pid}:${randomUUID()}`;
  if (!(await d.lock.setIfAbsent(FILE_CLEANUP_LOCK_KEY, holder, d.lockTtlMs))) {
    d.log.info('orphan file clean-up skipped: another instance runs it');
    return 'skipped';
  }
  try {
    return await cleanOrphanFiles(d);
  } finally {
    await d.lock
      .releaseLock(FILE_CLEANUP_LOCK_KEY, holder)
      .catch((err: unknown) => d.log.warn({ err }, 'clean-up lock not released; it expires'));
  }
}

/**
 * Runs the clean-up every `periodMs` (`Auto.DeleteExpiredFileDuration`), never two runs of
 * this process at once. Closing stops the timer, asks a running run to stop after its
 * current file and waits for it.
 */
export function scheduleFileCleanup(
  d: Omit<FileCleanupDeps, 'signal'> & { periodMs: number },
): Closable {
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = runFileCleanupOnce({ ...d, signal: controller.signal })
      .then(() => undefined)
      .catch((err: unknown) => d.log.error({ err }, 'orphan file clean-up failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, d.periodMs);
  timer.unref();
  d.log.info({ periodMs: d.periodMs }, 'orphan file clean-up scheduled');
  return {
    name: 'file clean-up',
    close: async () => {
      clearInterval(timer);
      controller.abort();
      await running;
    },
  };
}
