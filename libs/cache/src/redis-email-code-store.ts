import { type Redis } from 'ioredis';
import {
  normalizeEmail,
  resolveEmailCodeOptions,
  type EmailCodeOptions,
  type EmailCodeStore,
  type IssueResult,
} from './email-code-store';
import { generateCode } from './generate-code';
import { type RedisKeys } from './keys';
import { defineScript, redisCall, type ScriptRunner } from './redis-call';

/**
 * KEYS: code hash, send marker. ARGV: new code, code TTL ms, resend interval ms (0: none).
 * Returns 0 when the code was stored, else the marker's remaining milliseconds. PTTL of
 * 0 or less means the interval is over (0: expiring this millisecond, -2: absent).
 */
const ISSUE_LUA = `
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return left end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'code', ARGV[1], 'failed_attempts', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
end
return 0
`;

/**
 * KEYS: code hash. ARGV: offered code, failures that discard the code. Returns 1 when the
 * code matched (and is now consumed), else 0. HINCRBY keeps the hash's TTL.
 */
const CHECK_LUA = `
local stored = redis.call('HGET', KEYS[1], 'code')
if not stored then return 0 end
if stored == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
local failed = redis.call('HINCRBY', KEYS[1], 'failed_attempts', 1)
if failed >= tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Email codes in Redis (docs/data-model.md §4): a hash `{ code, failed_attempts }` and a send marker
 * per lower-cased address. Each operation is one Lua script, so concurrent requests on any
 * number of api instances see one consistent order. The code is drawn in Node with the
 * CSPRNG; a refused issue simply discards it.
 */
export class RedisEmailCodeStore implements EmailCodeStore {
  private readonly opts: Required<EmailCodeOptions>;
  private readonly issueScript: ScriptRunner;
  private readonly checkScript: ScriptRunner;

  /** `redis` is shared and owned by the caller, who closes it. */
  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    opts: EmailCodeOptions,
  ) {
    this.opts = resolveEmailCodeOptions(opts);
    this.issueScript = defineScript(redis, 'chatCacheIssueCode', 2, ISSUE_LUA);
    this.checkScript = defineScript(redis, 'chatCacheCheckCode', 1, CHECK_LUA);
  }

  async issue(email: string): Promise<IssueResult> {
    const address = normalizeEmail(email);
    const code = generateCode(this.opts.codeLength);
    const left = await redisCall('issue email code', () =>
      this.issueScript(
        [this.keys.emailCode(address), this.keys.emailMark(address)],
        [code, this.opts.codeTtlMs, this.opts.resendIntervalMs],
      ),
    );
    const retryAfterMs = Number(left);
    return retryAfterMs > 0 ? { tooSoon: true, retryAfterMs } : { code };
  }

  async check(email: string, code: string): Promise<boolean> {
    const address = normalizeEmail(email);
    const matched = await redisCall('check email code', () =>
      this.checkScript([this.keys.emailCode(address)], [code, this.opts.maxFailedChecks]),
    );
    return Number(matched) === 1;
  }
}
