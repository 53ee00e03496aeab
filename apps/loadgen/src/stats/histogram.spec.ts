import { bucketOf, bucketRange, Histogram, summarizeMicros } from './histogram';

/** Nearest-rank percentile of sorted values: the reference the histogram approximates. */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

describe('Histogram', () => {
  it('is exact for values below 128', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(90)).toBe(90);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0)).toBe(1);
    expect(h.count).toBe(100);
    expect(h.min).toBe(1);
    expect(h.max).toBe(100);
    expect(h.mean()).toBe(50.5);
  });

  it('keeps every percentile within 0.8 % of the exact one over a wide range', () => {
    const h = new Histogram();
    const values: number[] = [];
    // Deterministic log-spread values from 1 µs to about 10 s.
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const v = Math.round(Math.exp((x / 2 ** 31) * Math.log(1e7)));
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [1, 10, 25, 50, 75, 90, 99, 99.9]) {
      const exact = exactPercentile(values, p);
      const got = h.percentile(p)!;
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(1 / 128);
    }
    expect(h.percentile(100)).toBe(values[values.length - 1]);
  });

  it('maps every value to a bucket whose range holds it, buckets in value order', () => {
    let previous = -1;
    for (const v of [0, 1, 127, 128, 129, 255, 256, 257, 1000, 65_535, 2 ** 32 + 7, 2 ** 39]) {
      const i = bucketOf(v);
      const { lower, width } = bucketRange(i);
      expect(v).toBeGreaterThanOrEqual(lower);
      expect(v).toBeLessThan(lower + width);
      if (v >= 128) expect(width / lower).toBeLessThanOrEqual(1 / 64);
      else expect(width).toBe(1);
      expect(i).toBeGreaterThanOrEqual(previous);
      previous = i;
    }
  });

  it('merges to the same figures as recording everything in one', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let v = 0; v < 5000; v++) {
      const value = (v * 7919) % 100_000;
      (v % 3 ? a : b).record(value);
      all.record(value);
    }
    const merged = new Histogram().merge(a).merge(b);
    for (const p of [50, 90, 99, 100]) expect(merged.percentile(p)).toBe(all.percentile(p));
    expect([merged.count, merged.min, merged.max, merged.sum]).toEqual([
      all.count,
      all.min,
      all.max,
      all.sum,
    ]);
  });

  it('survives the trip between processes as data', () => {
    const h = new Histogram();
    for (const v of [3, 300, 30_000, 3_000_000]) h.record(v);
    const copy = Histogram.fromData(JSON.parse(JSON.stringify(h.toData())));
    expect(copy.toData()).toEqual(h.toData());
    expect(copy.percentile(75)).toBe(h.percentile(75));
  });

  it('records negatives as 0 and rounds fractions', () => {
    const h = new Histogram();
    h.record(-5);
    h.record(2.6);
    expect([h.min, h.max]).toEqual([0, 3]);
  });

  it('has no percentiles when empty, and an empty one merges as nothing', () => {
    const h = new Histogram();
    expect(h.percentile(50)).toBeUndefined();
    expect(summarizeMicros(h)).toEqual({
      count: 0,
      p50: null,
      p90: null,
      p99: null,
      max: null,
      mean: null,
    });
    const one = new Histogram();
    one.record(42);
    one.merge(Histogram.fromData(JSON.parse(JSON.stringify(h.toData()))));
    expect([one.count, one.min, one.max]).toEqual([1, 42, 42]);
  });

  it('rejects a percentile outside 0–100', () => {
    const h = new Histogram();
    h.record(1);
    expect(() => h.percentile(101)).toThrow(RangeError);
  });

  it('summarises microseconds as milliseconds', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v * 1000);
    const s = summarizeMicros(h);
    expect(s.count).toBe(100);
    expect(s.max).toBe(100);
    expect(Math.abs(s.p50! - 50)).toBeLessThanOrEqual(50 / 128);
    expect(Math.abs(s.p99! - 99)).toBeLessThanOrEqual(99 / 128);
  });
});
