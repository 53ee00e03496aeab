/** Settings of an email code store (docs/api.md §1.5 `Rule.*`, §6). Durations in milliseconds. */
export interface EmailCodeOptions {
  /** Digits per code (`Rule.CodeLength`). */
  codeLength: number;
  /** How long a code stays valid (`Rule.CodeMarkDuration`); must be positive. */
  codeTtlMs: number;
  /** Least interval between two codes for one address (`Rule.UserMarkDuration`); 0 disables. */
  resendIntervalMs: number;
  /** Failed checks after which the code is discarded (docs/api.md §6: 5). */
  maxFailedChecks?: number;
}

export type IssueResult = { code: string } | { tooSoon: true; retryAfterMs: number };

/**
 * Email verification codes (docs/api.md §6, docs/data-model.md §4). Per address (compared
 * case-insensitively) there is at most one live code; every operation is atomic across
 * all processes sharing the store.
 */
export interface EmailCodeStore {
  /**
   * Creates a fresh code for `email`, replacing any older one, and starts the resend
   * interval; while that interval runs it creates nothing and says how long is left.
   */
  issue(email: string): Promise<IssueResult>;
  /**
   * True when `code` is the live code of `email`, which is then consumed. A wrong code counts
   * as a failed check; the code is discarded at the `maxFailedChecks`-th failure.
   */
  check(email: string, code: string): Promise<boolean>;
}

/** The default of `maxFailedChecks` (docs/api.md §6). */
export const MAX_FAILED_CHECKS = 5;

/** Emails are case-insensitive for codes: one address, one key. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Validated options with defaults applied. */
export function resolveEmailCodeOptions(opts: EmailCodeOptions): Required<EmailCodeOptions> {
  const resolved = { maxFailedChecks: MAX_FAILED_CHECKS, ...opts };
  const bad = (what: string) => new RangeError(`email codes: ${what}`);
  if (!Number.isInteger(resolved.codeLength) || resolved.codeLength < 1) {
    throw bad(`codeLength must be a positive integer, got ${resolved.codeLength}`);
  }
  if (!(resolved.codeTtlMs > 0)) throw bad(`codeTtlMs must be positive, got ${resolved.codeTtlMs}`);
  if (!(resolved.resendIntervalMs >= 0)) {
    throw bad(`resendIntervalMs must not be negative, got ${resolved.resendIntervalMs}`);
  }
  if (!Number.isInteger(resolved.maxFailedChecks) || resolved.maxFailedChecks < 1) {
    throw bad(`maxFailedChecks must be a positive integer, got ${resolved.maxFailedChecks}`);
  }
  return {
    ...resolved,
    codeTtlMs: Math.ceil(resolved.codeTtlMs),
    resendIntervalMs: Math.ceil(resolved.resendIntervalMs),
  };
}
