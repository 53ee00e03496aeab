import {
  decodeHistogram,
  encodeHistogram,
  mergeHistograms,
  newLatencyHistogram,
  recordMicros,
  summarizeMicros,
} from './latency';

/** Nearest-rank percentile of sorted values: the reference the histogram approximates. */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

describe('latency histograms', () => {
  it('keeps every percentile within 0.1 % of the exact one from 1 µs to minutes', () => {
    const h = newLatencyHistogram();
    const values: number[] = [];
    // Deterministic log-spread values from 1 µs to about 100 s.
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const v = Math.round(Math.exp((x / 2 ** 31) * Math.log(1e8)));
      values.push(v);
      recordMicros(h, v);
    }
    values.sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 99, 99.9]) {
      const exact = exactPercentile(values, p);
      expect(Math.abs(h.getValueAtPercentile(p) - exact) / exact).toBeLessThanOrEqual(0.001);
    }
  });

  it('survives the trip between processes and merges to the same figures as one', () => {
    const a = newLatencyHistogram();
    const b = newLatencyHistogram();
    const all = newLatencyHistogram();
    for (let v = 0; v < 5000; v++) {
      const value = (v * 7919) % 100_000;
      recordMicros(v % 3 ? a : b, value);
      recordMicros(all, value);
    }
    const merged = summarizeMicros(
      mergeHistograms([a, b].map((h) => decodeHistogram(encodeHistogram(h)))),
    );
    const one = summarizeMicros(all);
    expect({ ...merged, max: null }).toEqual({ ...one, max: null });
    // A merged maximum is its bucket's top: the same within the histogram's 0.1 %.
    expect(Math.abs(merged.max! - one.max!) / one.max!).toBeLessThanOrEqual(0.001);
  });

  it('records negatives as 0, and summarises microseconds as milliseconds', () => {
    const h = newLatencyHistogram();
    recordMicros(h, -5);
    for (let v = 1; v <= 1000; v++) recordMicros(h, v * 1000);
    const s = summarizeMicros(h);
    expect(s.count).toBe(1001);
    expect(s.max).toBe(1000);
    expect(Math.abs(s.p50! - 500)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(s.p999! - 999)).toBeLessThanOrEqual(1);
  });

  it('has no figures when empty', () => {
    expect(summarizeMicros(newLatencyHistogram(2))).toEqual({
      count: 0,
      p50: null,
      p90: null,
      p99: null,
      p999: null,
      max: null,
      mean: null,
    });
  });
});
