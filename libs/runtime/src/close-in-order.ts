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
