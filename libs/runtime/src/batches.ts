import type { BusRecord } from '@chat/bus';
import { parseRecord } from '@chat/protocol';
import type { z } from 'zod';

/**
 * What the debug line of a handled batch reports: its size, how long it took, the rate and
 * how far behind the newest record of the batch was when the batch finished (the time since
 * the bus appended it).
 */
export function batchFigures(records: BusRecord[], startedAtMs: number) {
  const now = Date.now();
  const ms = Math.max(now - startedAtMs, 1);
  const last = records[records.length - 1];
  return {
    topic: last?.topic,
    partition: last?.partition,
    offset: last?.offset,
    records: records.length,
    ms,
    rowsPerSec: Math.round((records.length * 1000) / ms),
    lagMs: last ? now - last.timestamp : 0,
  };
}

/** A record of a batch read against its topic's contract, with the record it came from. */
export interface ReadValue<T> {
  value: T;
  record: BusRecord;
}

/**
 * The one reader of a consumed batch: each record checked against its topic's schema, the
 * readable ones in order with their records, the others with why. A bad record must not
 * block its partition: the caller sends it to the dead-letter topic (`DeadLetters`).
 */
export function readRecords<T>(
  records: BusRecord[],
  schema: z.ZodType<T>,
): { values: ReadValue<T>[]; unreadable: { record: BusRecord; error: unknown }[] } {
  const values: ReadValue<T>[] = [];
  const unreadable: { record: BusRecord; error: unknown }[] = [];
  for (const record of records) {
    const parsed = parseRecord(schema, record.value);
    if (parsed.ok) values.push({ value: parsed.value, record });
    else unreadable.push({ record, error: parsed.error });
  }
  return { values, unreadable };
}
