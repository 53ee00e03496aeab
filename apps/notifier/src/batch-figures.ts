import type { BusRecord } from '@chat/bus';

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
