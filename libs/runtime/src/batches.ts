import type { BusRecord } from '@chat/bus';
import type { ParsedRecord } from '@chat/protocol';

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

/** Where an unreadable record of a batch sits, and why it could not be read. */
export interface UnreadableRecord {
  err: unknown;
  partition: number;
  offset: string;
}

/**
 * The values of a batch that `parse` accepts, in order; each other record is handed to
 * `unreadable` (a worker logs and counts it, and skips it so it cannot block the partition).
 */
export function readBatch<T>(
  records: BusRecord[],
  parse: (value: Buffer) => ParsedRecord<T>,
  unreadable: (at: UnreadableRecord) => void,
): T[] {
  const values: T[] = [];
  for (const record of records) {
    const parsed = parse(record.value);
    if (parsed.ok) values.push(parsed.value);
    else unreadable({ err: parsed.error, partition: record.partition, offset: record.offset });
  }
  return values;
}
