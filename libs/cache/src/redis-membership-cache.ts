import { type Redis } from 'ioredis';
import { checkTtlMs } from './cache';
import { type RedisKeys } from './keys';
import {
  checkMembers,
  generationTtlMs,
  type MembersLoader,
  type MembershipCache,
  type MembershipCacheOptions,
  type VersionedMembers,
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

/** The version of a relation whose generation key is absent (never invalidated, or expired). */
const NO_GENERATION = 0;

const versionOf = (generation: string | null): number =>
  generation === null || generation === '' ? NO_GENERATION : Number(generation);

/**
 * Member lists in Redis: one set per relation with a TTL, plus a generation counter per
 * relation that each invalidation increments (in the same transaction as the delete). A
 * load reads the generation first and stores only if it is unchanged, so a list read
 * before a membership change is never cached after the change was announced. The
 * generation is the relation's membership `version`: a cached set exists only while the
 * generation it was stored at is current (the invalidation that moves it deletes the set).
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
    return (await this.versionedMembers(relationId, load)).members;
  }

  async version(relationId: number): Promise<number> {
    return versionOf(
      await redisCall('membership version', () =>
        this.redis.get(this.keys.membershipGeneration(relationId)),
      ),
    );
  }

  async versionedMembers(relationId: number, load: MembersLoader): Promise<VersionedMembers> {
    const key = this.keys.membershipMembers(relationId);
    // One transaction: a set that exists was stored at the generation read with it.
    const [cached, generation] = await redisCall('membership read', async () => {
      const results = await this.redis
        .multi()
        .smembers(key)
        .get(this.keys.membershipGeneration(relationId))
        .exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
      return [results[0]![1] as string[], results[1]![1] as string | null] as const;
    });
    if (cached.length > 0) {
      const members = cached
        .filter((m) => m !== PRESENT)
        .map(Number)
        .sort((a, b) => a - b);
      return { members, version: versionOf(generation) };
    }
    // Read before the load: the list is current at this generation (or a later one).
    return {
      members: await this.loadAndStore(relationId, load, generation),
      version: versionOf(generation),
    };
  }

  async isMember(relationId: number, accountId: number, load: MembersLoader): Promise<boolean> {
    const key = this.keys.membershipMembers(relationId);
    // The generation comes along: on a miss it is the one the load must be stored at.
    const [exists, member, generation] = await redisCall('membership check', async () => {
      const results = await this.redis
        .multi()
        .exists(key)
        .sismember(key, accountId)
        .get(this.keys.membershipGeneration(relationId))
        .exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
      return [Number(results[0]![1]), Number(results[1]![1]), results[2]![1] as string | null];
    });
    if (exists === 1) return member === 1;
    return (await this.loadAndStore(relationId, load, generation)).includes(accountId);
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

  /** Loads the list and caches it unless the generation moved from `generation` meanwhile. */
  private async loadAndStore(
    relationId: number,
    load: MembersLoader,
    generation: string | null,
  ): Promise<number[]> {
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
