import type { Logger } from '@chat/logger';

export interface Closable {
  name: string;
  close(): Promise<void>;
}

/** Closes each in turn, logging its duration; one failure does not stop the rest. */
export async function closeInOrder(log: Logger, items: Closable[]): Promise<void> {
  for (const item of items) {
    const t0 = Date.now();
    try {
      await item.close();
      log.info({ step: item.name, ms: Date.now() - t0 }, 'closed');
    } catch (err) {
      log.error({ err, step: item.name }, 'close failed');
    }
  }
}

/**
 * An app's `stop()`: runs once however often it is called (a later call gets the same
 * promise). `first` runs before anything closes (an ops server starts answering "not
 * ready"); then `started` closes in reverse of start (docs/development.md §4).
 */
export function stopOnce(
  log: Logger,
  started: Closable[],
  first?: () => void,
): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      first?.();
      await closeInOrder(log, [...started].reverse());
    })());
}
