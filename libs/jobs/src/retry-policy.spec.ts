import { AppError, ErrorCode, InfrastructureError } from '@chat/protocol';
import { isRetryable, retryDelayMs, retryPolicyFromConfig } from './retry-policy';

describe('retry policy', () => {
  it('reads Auto.Retry: MaxTimes retries after the first attempt, Duration as first delay', () => {
    expect(retryPolicyFromConfig({ Duration: 5000, MaxTimes: 3 })).toEqual({
      maxRetries: 3,
      firstDelayMs: 5000,
    });
  });

  it('doubles the wait after each failed attempt (5 s, 10 s, 20 s by default)', () => {
    const policy = { maxRetries: 3, firstDelayMs: 5000 };
    expect([1, 2, 3].map((n) => retryDelayMs(policy, n))).toEqual([5000, 10000, 20000]);
  });

  it('rejects a negative retry count', () => {
    expect(() => retryPolicyFromConfig({ Duration: 5000, MaxTimes: -1 })).toThrow(RangeError);
  });

  it('retries everything except an AppError that is not retryable', () => {
    expect(isRetryable(new Error('boom'))).toBe(true);
    expect(isRetryable(new InfrastructureError('timeout'))).toBe(true);
    expect(isRetryable(new InfrastructureError('rejected', undefined, false))).toBe(false);
    expect(isRetryable(new AppError(ErrorCode.InvalidParams))).toBe(false);
  });
});
