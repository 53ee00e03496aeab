import type { BusRecord } from '@chat/bus';
import type { Logger } from '@chat/logger';
import type { Undo } from '../push-marks';
import type { PlannedPush } from '../routing';

/** What one batch of one topic must push, and how to record that it did. */
export interface Plan {
  pushes: PlannedPush[];
  /** Marks the pushes as made (called just before they are published); returns the undo. */
  mark(): Promise<Undo>;
  /** Records that repeat what was pushed before, skipped. */
  repeats: number;
  /** Records that could not be read, skipped. */
  unreadable: number;
}

export interface Planner {
  plan(records: BusRecord[]): Promise<Plan>;
}

export const noUndo: Undo = async () => undefined;

/**
 * The readable records of a batch with their keys, in order; the others are logged and
 * skipped (a push is best effort, and a bad record must not block its partition).
 */
export function readAll<T>(
  records: BusRecord[],
  parse: (value: Buffer) => { ok: true; value: T } | { ok: false; error: unknown },
  log: Logger,
): { items: { key: string; value: T }[]; unreadable: number } {
  const items: { key: string; value: T }[] = [];
  for (const record of records) {
    const parsed = parse(record.value);
    if (parsed.ok) items.push({ key: record.key, value: parsed.value });
    else {
      log.warn(
        {
          err: parsed.error,
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
        },
        'unreadable record skipped',
      );
    }
  }
  return { items, unreadable: records.length - items.length };
}
