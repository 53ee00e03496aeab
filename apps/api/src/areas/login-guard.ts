import type { RateWindow } from '@chat/config';
import { LIMIT_KEYS, type RateLimiter } from '@chat/cache';
import { AppError, ErrorCode } from '@chat/protocol';
import { rateKeyOfAddress } from '@chat/runtime';

export interface LoginFailureRules {
  /** `Limit.APILimit.LoginFailEmail`: failures per email address. */
  email: readonly RateWindow[];
  /** `Limit.APILimit.LoginFailAddress`: failures per client address (IPv6: its /64). */
  address: readonly RateWindow[];
}

/** Answers that count as a failed login: the password was checked, or nobody has the email. */
const FAILURES = new Set<number>([ErrorCode.WrongPassword, ErrorCode.UserNotFound]);

/**
 * Limits failed logins per email and per client address, so that guessing passwords, or a
 * flood meant to keep the CPU busy with password hashes, is refused before any hash is
 * computed: a login is first checked against both limits (recording nothing), then run,
 * and only a failure is recorded. Attempts that race past the check together are bounded
 * by the per-address request limit and the hashing thread pool.
 */
export class LoginGuard {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly rules: LoginFailureRules,
  ) {}

  async attempt<T>(email: string, address: string, login: () => Promise<T>): Promise<T> {
    const limits: [string, readonly RateWindow[]][] = [
      [LIMIT_KEYS.loginFailEmail(email.trim().toLowerCase()), this.rules.email],
      [LIMIT_KEYS.loginFailAddress(rateKeyOfAddress(address)), this.rules.address],
    ];
    const decisions = await Promise.all(limits.map(([key, rule]) => this.limiter.check(key, rule)));
    const waitMs = Math.max(...decisions.map((d) => (d.allowed ? 0 : d.retryAfterMs)));
    if (waitMs > 0) {
      throw new AppError(
        ErrorCode.TooManyRequests,
        `too many failed logins: retry in ${Math.ceil(waitMs / 1000)} s`,
      );
    }
    try {
      return await login();
    } catch (err) {
      if (err instanceof AppError && FAILURES.has(err.code)) {
        await Promise.all(limits.map(([key, rule]) => this.limiter.take(key, rule)));
      }
      throw err;
    }
  }
}
