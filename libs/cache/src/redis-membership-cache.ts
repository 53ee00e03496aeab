import { type Redis } from 'ioredis';
import { checkTtlMs } from './cache';
import { type RedisKeys } from './keys';
import {
  checkMembers,
  generationTtlMs,
  type MembersLoader,
  type MembershipCache,
  type MembershipCacheOptions,
} from './membership-cache';
import { defineScript, redisCall, type ScriptRunner } from './redis-call';

/**
 * A cached member set always holds this id besides the members, so that a relation with
 * no members is cached too (an absent key is a miss). Account ids start at 1.
 */
const PRESENT = '0';

/**
 * KEYS: member set, generation. ARGV: generation read before loading ('' for none), TTL
 * ms, then the members. Stores the set only if no invalidation ran since the generation was
 * read; returns 1 when stored.
 */
const STORE_LUA = `
local current = redis.call('GET', KEYS[2]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[1], '${PRESENT}')
local batch = {}
for i = 3, #ARGV do
  batch[#batch + 1] = ARGV[i]
  if #batch == 1000 then
    redis.call('SADD', KEYS[1], unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('SADD', KEYS[1], unpack(batch)) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * Member lists in Redis: one set per relation with a TTL, plus a generation counter per
 * relation that each invalidation increments (in the same transaction as the delete). A
 * load reads the generation first and stores only if it is unchanged, so a list read
 * before a membership change is never cached after the change was announced.
 */
export class RedisMembershipCache implements MembershipCache {
  private readonly ttlMs: number;
  private readonly storeScript: ScriptRunner;

  /** `redis` is shared and owned by the caller, who closes it. */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    opts: MembershipCacheOptions,
  ) {
    this.ttlMs = checkTtlMs(opts.ttlMs);
    this.storeScript = defineScript(redis, 'chatMembershipStore', 2, STORE_LUA);
  }

  async members(relationId: number, load: MembersLoader): Promise<number[]> {
    const cached = await redisCall('membership read', () =>
      this.redis.smembers(this.keys.membershipMembers(relationId)),
    );
    if (cached.length > 0) {
      return cached
        .filter((m) => m !== PRESENT)
        .map(Number)
        .sort((a, b) => a - b);
    }
    return this.loadAndStore(relationId, load);
  }

  async isMember(relationId: number, accountId: number, load: MembersLoader): Promise<boolean> {
    const key = this.keys.membershipMembers(relationId);
    const [exists, member] = await redisCall('membership check', async () => {
      const results = await this.redis.multi().exists(key).sismember(key, accountId).exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
      return results.map(([, value]) => Number(value));
    });
    if (exists === 1) return member === 1;
    return (await this.loadAndStore(relationId, load)).includes(accountId);
  }

  async invalidate(relationIds: number[]): Promise<void> {
    if (relationIds.length === 0) return;
    const ttl = generationTtlMs(this.ttlMs);
    await redisCall('membership invalidate', async () => {
      const tx = this.redis.multi();
      for (const id of new Set(relationIds)) {
        const generation = this.keys.membershipGeneration(id);
        tx.incr(generation).pexpire(generation, ttl).del(this.keys.membershipMembers(id));
      }
      const results = await tx.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }

  private async loadAndStore(relationId: number, load: MembersLoader): Promise<number[]> {
    const generation = await redisCall('membership read', () =>
      this.redis.get(this.keys.membershipGeneration(relationId)),
    );
    const members = checkMembers(relationId, await load(relationId));
    await redisCall('membership store', () =>
      this.storeScript(
        [this.keys.membershipMembers(relationId), this.keys.membershipGeneration(relationId)],
        [generation ?? '', this.ttlMs, ...members],
      ),
    );
    return members;
  }
}
