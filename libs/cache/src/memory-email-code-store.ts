import {
  normalizeEmail,
  resolveEmailCodeOptions,
  type EmailCodeOptions,
  type EmailCodeStore,
  type IssueResult,
} from './email-code-store';
import { ExpiringMap, type Clock } from './expiring-map';
import { generateCode } from './generate-code';

interface StoredCode {
  code: string;
  failedAttempts: number;
}

/** Codes and send markers (docs/data-model.md §4); stores built on one state see the same codes. */
export interface MemoryCodeState {
  codes: ExpiringMap<StoredCode>;
  /** Present while the resend interval of an address runs. */
  markers: ExpiringMap<true>;
}

export function createMemoryCodeState(now: Clock = Date.now): MemoryCodeState {
  return { codes: new ExpiringMap(now), markers: new ExpiringMap(now) };
}

/**
 * In-process email codes (the embedded default). Each method runs to completion without
 * awaiting, so it is atomic within the process exactly as the Redis scripts are across them.
 */
export class MemoryEmailCodeStore implements EmailCodeStore {
  private readonly opts: Required<EmailCodeOptions>;
  private readonly codes: ExpiringMap<StoredCode>;
  private readonly markers: ExpiringMap<true>;

  constructor(opts: EmailCodeOptions, state: MemoryCodeState = createMemoryCodeState()) {
    this.opts = resolveEmailCodeOptions(opts);
    this.codes = state.codes;
    this.markers = state.markers;
  }

  async issue(email: string): Promise<IssueResult> {
    const address = normalizeEmail(email);
    if (this.markers.get(address)) {
      return { tooSoon: true, retryAfterMs: this.markers.remainingMs(address) };
    }
    const code = generateCode(this.opts.codeLength);
    this.codes.set(address, { code, failedAttempts: 0 }, this.opts.codeTtlMs);
    this.markers.set(address, true, this.opts.resendIntervalMs);
    return { code };
  }

  async check(email: string, code: string): Promise<boolean> {
    const address = normalizeEmail(email);
    const stored = this.codes.get(address);
    if (!stored) return false;
    if (stored.code === code) {
      this.codes.delete(address);
      return true;
    }
    stored.failedAttempts += 1;
    if (stored.failedAttempts >= this.opts.maxFailedChecks) this.codes.delete(address);
    return false;
  }
}
