import { backoffDelay, DEFAULT_BACKOFF } from './backoff';

describe('backoffDelay', () => {
  const noJitter = (): number => 0;

  it('doubles from the initial delay up to the maximum', () => {
    const delays = Array.from({ length: 9 }, (_, attempt) => backoffDelay(attempt, {}, noJitter));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(DEFAULT_BACKOFF).toEqual({
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      factor: 2,
      jitter: 0.5,
    });
  });

  it('follows the given initial delay, factor and maximum', () => {
    const options = { initialDelayMs: 100, factor: 3, maxDelayMs: 2000 };
    const delays = [0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, options, noJitter));
    expect(delays).toEqual([100, 300, 900, 2000, 2000]);
  });

  it('takes up to the jitter share off the wait, as the random number says', () => {
    // attempt 2: base 2000 ms; jitter 0.5 takes off random × 1000 ms.
    expect(backoffDelay(2, {}, () => 0)).toBe(2000);
    expect(backoffDelay(2, {}, () => 0.5)).toBe(1500);
    expect(backoffDelay(2, {}, () => 0.999)).toBe(1001);
    expect(backoffDelay(2, { jitter: 0.1 }, () => 0.5)).toBe(1900);
  });

  it('ignores the random number without jitter and clamps the jitter to 0 … 1', () => {
    expect(backoffDelay(3, { jitter: 0 }, () => 0.9)).toBe(4000);
    expect(backoffDelay(3, { jitter: 2 }, () => 0.5)).toBe(2000);
    expect(backoffDelay(3, { jitter: -1 }, () => 0.5)).toBe(4000);
  });

  it('stays within [base × (1 − jitter), base] with Math.random', () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const base = Math.min(30_000, 500 * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(attempt);
        expect(delay).toBeGreaterThanOrEqual(base / 2);
        expect(delay).toBeLessThanOrEqual(base);
      }
    }
  });
});
