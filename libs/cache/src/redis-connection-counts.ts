import { type Redis } from 'ioredis';
import { checkTtlMs } from './cache';
import { type ConnectionCounts } from './connection-counts';
import { type RedisKeys } from './keys';
import { defineScript, redisCall, type ScriptRunner } from './redis-call';

/**
 * KEYS: the set of nodes. ARGV: prefix of the liveness keys, prefix of the count hashes,
 * the key counted. Leaves in `total` what the live nodes count for the key; the hash of each
 * node whose liveness key expired is unlinked and the node leaves the set. (The node keys
 * are derived from the set's members, so these scripts need a single Redis, not a cluster.)
 */
const SUM_LIVE_LUA = `
local total = 0
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. node) == 1 then
    total = total + (tonumber(redis.call('HGET', ARGV[2] .. node, ARGV[3])) or 0)
  else
    redis.call('UNLINK', ARGV[2] .. node)
    redis.call('SREM', KEYS[1], node)
  end
end
`;

/**
 * ARGV as above, then the limit and the counting node. Returns 1 and counts one more on the
 * node when the live total is below the limit, else 0. The node joins the set, so that its
 * hash is found (and removed) even if it dies before its first heartbeat.
 */
const ACQUIRE_LUA = `${SUM_LIVE_LUA}
if total >= tonumber(ARGV[4]) then return 0 end
redis.call('HINCRBY', ARGV[2] .. ARGV[5], ARGV[3], 1)
redis.call('SADD', KEYS[1], ARGV[5])
return 1
`;

const TOTAL_LUA = `${SUM_LIVE_LUA}
return total
`;

/** KEYS: one node's count hash. ARGV: the key. One less, and the field goes at zero. */
const RELEASE_LUA = `
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

/** Keys written per round trip by `restore`, so a large node never blocks Redis long. */
const RESTORE_CHUNK = 500;

/**
 * Connection counts in Redis: per node a hash `key → count` and a liveness key that each
 * heartbeat sets with a TTL, and one set naming the nodes. Only the liveness keys expire on
 * their own: a dead node's hash stops adding up when its liveness key expires and is
 * removed by the next acquire (or by `dropNode` when a node with that id starts again).
 * Acquiring reads one field per node, so its cost grows with the gateways, not with the
 * connections.
 */
export class RedisConnectionCounts implements ConnectionCounts {
  private readonly acquireScript: ScriptRunner;
  private readonly totalScript: ScriptRunner;
  private readonly releaseScript: ScriptRunner;

  /** `redis` is shared and owned by the caller, who closes it. */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.acquireScript = defineScript(redis, 'chatConnsAcquire', 1, ACQUIRE_LUA);
    this.totalScript = defineScript(redis, 'chatConnsTotal', 1, TOTAL_LUA);
    this.releaseScript = defineScript(redis, 'chatConnsRelease', 1, RELEASE_LUA);
  }

  async acquire(nodeId: string, key: string, limit: number): Promise<boolean> {
    const taken = await redisCall('connection acquire', () =>
      this.acquireScript(
        [this.keys.connNodes()],
        [this.keys.connAlive(''), this.keys.connCounts(''), key, limit, nodeId],
      ),
    );
    return Number(taken) === 1;
  }

  async release(nodeId: string, key: string): Promise<void> {
    await redisCall('connection release', () =>
      this.releaseScript([this.keys.connCounts(nodeId)], [key]),
    );
  }

  async restore(nodeId: string, entries: readonly (readonly [string, number])[]): Promise<void> {
    const hash = this.keys.connCounts(nodeId);
    for (let i = 0; i < entries.length; i += RESTORE_CHUNK) {
      const chunk = entries.slice(i, i + RESTORE_CHUNK);
      const kept = chunk.filter(([, count]) => count > 0).flatMap(([key, count]) => [key, count]);
      const gone = chunk.filter(([, count]) => count <= 0).map(([key]) => key);
      await redisCall('connection restore', async () => {
        const tx = this.redis.multi();
        if (kept.length > 0) tx.hset(hash, ...kept);
        if (gone.length > 0) tx.hdel(hash, ...gone);
        tx.sadd(this.keys.connNodes(), nodeId);
        failOnError(await tx.exec());
      });
    }
  }

  async heartbeat(nodeId: string, ttlMs: number): Promise<void> {
    const ttl = checkTtlMs(ttlMs);
    await redisCall('connection heartbeat', async () =>
      failOnError(
        await this.redis
          .multi()
          .set(this.keys.connAlive(nodeId), '1', 'PX', ttl)
          .sadd(this.keys.connNodes(), nodeId)
          .exec(),
      ),
    );
  }

  async dropNode(nodeId: string): Promise<void> {
    await redisCall('connection drop node', async () =>
      failOnError(
        await this.redis
          .multi()
          .del(this.keys.connAlive(nodeId))
          .unlink(this.keys.connCounts(nodeId))
          .srem(this.keys.connNodes(), nodeId)
          .exec(),
      ),
    );
  }

  async total(key: string): Promise<number> {
    const total = await redisCall('connection total', () =>
      this.totalScript(
        [this.keys.connNodes()],
        [this.keys.connAlive(''), this.keys.connCounts(''), key],
      ),
    );
    return Number(total);
  }
}

function failOnError(results: [Error | null, unknown][] | null): void {
  const failed = results?.find(([err]) => err);
  if (failed) throw failed[0];
}
