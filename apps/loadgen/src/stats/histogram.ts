/**
 * Sub-buckets per power of two is 2^(SUB_BITS - 1); values below 2^SUB_BITS are exact.
 * A bucket above that spans at most 1/64 of its lower bound, and a value is reported as
 * its bucket's midpoint, so a percentile is within 1/128 (0.8 %) of a recorded value.
 */
const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS;
const HALF_COUNT = SUB_COUNT >> 1;
/** Values at or above 2^MAX_BITS (about 12.7 days in microseconds) are recorded as the top bucket. */
const MAX_BITS = 40;
const BUCKETS = SUB_COUNT + (MAX_BITS - SUB_BITS) * HALF_COUNT;
const MAX_VALUE = 2 ** MAX_BITS - 1;

/** The bucket of a non-negative integer `v` (≤ MAX_VALUE). */
export function bucketOf(v: number): number {
  if (v < SUB_COUNT) return v;
  const msb = v < 2 ** 32 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v));
  const shift = msb - (SUB_BITS - 1);
  return SUB_COUNT + (shift - 1) * HALF_COUNT + (Math.floor(v / 2 ** shift) - HALF_COUNT);
}

/** The smallest value of bucket `i` and how many integers it holds. */
export function bucketRange(i: number): { lower: number; width: number } {
  if (i < SUB_COUNT) return { lower: i, width: 1 };
  const k = i - SUB_COUNT;
  const shift = Math.floor(k / HALF_COUNT) + 1;
  return { lower: ((k % HALF_COUNT) + HALF_COUNT) * 2 ** shift, width: 2 ** shift };
}

/** What a histogram looks like on the wire between processes and in JSON. */
export interface HistogramData {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** [bucket, count] for the non-empty buckets. */
  buckets: [number, number][];
}

/**
 * A log-linear histogram of non-negative integers (latencies in microseconds here): constant
 * memory whatever the number of samples, mergeable across processes, percentiles within
 * 0.8 %; count, sum, min and max are exact.
 */
export class Histogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  /** Records one value; negatives count as 0, fractions are rounded. */
  record(value: number): void {
    const v = Math.min(MAX_VALUE, Math.max(0, Math.round(value)));
    this.counts[bucketOf(v)]++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Adds every sample of `other` to this one. */
  merge(other: Histogram): this {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    return this;
  }

  /**
   * The value at percentile `p` (0–100): the smallest recorded value such that at least
   * p % of the samples are ≤ it (nearest rank), as its bucket's midpoint, kept within
   * [min, max]. Undefined when empty.
   */
  percentile(p: number): number | undefined {
    if (this.count === 0) return undefined;
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be 0–100, got ${p}`);
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const { lower, width } = bucketRange(i);
        const mid = lower + (width - 1) / 2;
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  mean(): number | undefined {
    return this.count === 0 ? undefined : this.sum / this.count;
  }

  toData(): HistogramData {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] > 0) buckets.push([i, this.counts[i]]);
    return { count: this.count, sum: this.sum, min: this.min, max: this.max, buckets };
  }

  static fromData(data: HistogramData): Histogram {
    const h = new Histogram();
    for (const [i, n] of data.buckets) h.counts[i] = n;
    h.count = data.count;
    h.sum = data.sum;
    h.min = data.count === 0 ? Infinity : data.min;
    h.max = data.count === 0 ? -Infinity : data.max;
    return h;
  }
}

/** Latency figures in milliseconds (null when nothing was measured). */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Summarises a histogram of microseconds in milliseconds, rounded to 0.01 ms. */
export function summarizeMicros(h: Histogram): LatencySummary {
  const ms = (v: number | undefined) => (v === undefined ? null : Math.round(v / 10) / 100);
  return {
    count: h.count,
    p50: ms(h.percentile(50)),
    p90: ms(h.percentile(90)),
    p99: ms(h.percentile(99)),
    max: ms(h.count ? h.max : undefined),
    mean: ms(h.mean()),
  };
}
