import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';

export type { Histogram };

/** Latencies are recorded in whole microseconds; one hour is the top of the range. */
const HIGHEST_US = 3_600_000_000;

/**
 * An HdrHistogram of microseconds. Three significant digits (0.1 %) for the run's figures;
 * two (1 %) are plenty for the per-second series of the charts and a tenth of the memory.
 */
export function newLatencyHistogram(digits: 2 | 3 = 3): Histogram {
  return build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: digits,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Records one latency; negatives (clock jitter between processes) count as 0. */
export function recordMicros(h: Histogram, us: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(0, Math.round(us))));
}

/** The histogram as text for the trip between processes and into report.json. */
export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

export function decodeHistogram(data: string): Histogram {
  return decodeFromCompressedBase64(data, 32, false);
}

/** Adds every histogram given into a fresh one. */
export function mergeHistograms(parts: readonly Histogram[], digits: 2 | 3 = 3): Histogram {
  const total = newLatencyHistogram(digits);
  for (const p of parts) total.add(p);
  return total;
}

/** Latency figures in milliseconds (null when nothing was measured). */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}

/** Summarises a histogram of microseconds in milliseconds, rounded to 0.01 ms. */
export function summarizeMicros(h: Histogram): LatencySummary {
  const count = h.totalCount;
  const ms = (us: number) => (count === 0 ? null : Math.round(us / 10) / 100);
  return {
    count,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}
