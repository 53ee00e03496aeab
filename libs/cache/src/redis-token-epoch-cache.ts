import { type Redis } from 'ioredis';
import { checkTtlMs } from './cache';
import { type RedisKeys } from './keys';
import { defineScript, redisCall, type ScriptRunner } from './redis-call';
import {
  checkTokenEpoch,
  type TokenEpoch,
  type TokenEpochCache,
  type TokenEpochCacheOptions,
  type TokenEpochLoader,
  type TokenEpochUpdate,
  type TokenSubjectKind,
} from './token-epoch-cache';

/** The stored text of a deleted subject; any other value is `<epoch>:<owner>`. */
const DELETED = 'deleted';

/**
 * KEYS: the subject's key. ARGV: the state to record (`<epoch>:<owner>` or `deleted`), TTL
 * ms. Keeps the later of the stored and the given state (deleted is later than any epoch)
 * and returns the state kept. The TTL is set only when the value is written.
 */
const KEEP_LATER_LUA = `
local function rank(v)
  if v == '${DELETED}' then return math.huge end
  return tonumber(string.match(v, '^(%d+):'))
end
local current = redis.call('GET', KEYS[1])
if current and rank(current) >= rank(ARGV[1]) then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`;

/** Token epochs in Redis: one string per subject, with a TTL, only ever moved forward. */
export class RedisTokenEpochCache implements TokenEpochCache {
  private readonly ttlMs: number;
  private readonly keepLater: ScriptRunner;

  /** `redis` is shared and owned by the caller, who closes it. */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    opts: TokenEpochCacheOptions,
  ) {
    this.ttlMs = checkTtlMs(opts.ttlMs);
    this.keepLater = defineScript(redis, 'chatTokenEpochKeepLater', 1, KEEP_LATER_LUA);
  }

  async get(
    kind: TokenSubjectKind,
    id: number,
    load: TokenEpochLoader,
  ): Promise<TokenEpoch | null> {
    const key = this.keys.tokenEpoch(kind, id);
    const cached = await redisCall('token epoch read', () => this.redis.get(key));
    if (cached !== null) return decode(cached);
    const loaded = checkTokenEpoch(await load());
    const kept = await redisCall('token epoch store', () =>
      this.keepLater([key], [encode(loaded), this.ttlMs]),
    );
    return decode(String(kept));
  }

  async advance(updates: TokenEpochUpdate[]): Promise<void> {
    await redisCall('token epoch update', () =>
      Promise.all(
        updates.map(({ kind, id, state }) =>
          this.keepLater(
            [this.keys.tokenEpoch(kind, id)],
            [encode(checkTokenEpoch(state)), this.ttlMs],
          ),
        ),
      ),
    );
  }
}

function encode(state: TokenEpoch | null): string {
  return state === null ? DELETED : `${state.epoch}:${state.owner}`;
}

function decode(text: string): TokenEpoch | null {
  if (text === DELETED) return null;
  const match = /^(\d+):(\d+)$/.exec(text);
  if (!match) throw new TypeError(`token epochs: unreadable cached value ${text}`);
  return { epoch: Number(match[1]), owner: Number(match[2]) };
}
