import { type Redis } from 'ioredis';
import { checkTtlMs } from './cache';
import { type RedisKeys } from './keys';
import { defineScript, defineVariadicScript, redisCall, type ScriptRunner } from './redis-call';
import {
  type HeartbeatOptions,
  type Presence,
  type PresenceEntry,
  type PresenceState,
} from './presence';

/**
 * KEYS: account hash. ARGV: connection id, `<account id>:<connection id>`, prefix of the
 * node connection sets. Removes the connection and its line in its node's set.
 */
const REMOVE_LUA = `
local node = redis.call('HGET', KEYS[1], ARGV[1])
if not node then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', ARGV[3] .. node, ARGV[2])
return 1
`;

/**
 * KEYS: the node's connection set. ARGV: node id, prefix of the account hashes, how many
 * to take. Removes up to that many of the node's connections from their account hashes
 * (only where the hash still names this node) and returns how many it took.
 */
const DROP_CHUNK_LUA = `
local taken = redis.call('SPOP', KEYS[1], tonumber(ARGV[3]))
for _, line in ipairs(taken) do
  local sep = string.find(line, ':', 1, true)
  local key = ARGV[2] .. string.sub(line, 1, sep - 1)
  local conn = string.sub(line, sep + 1)
  if redis.call('HGET', key, conn) == ARGV[1] then redis.call('HDEL', key, conn) end
end
return #taken
`;

/**
 * KEYS: the node's liveness key, the presence marker, the rebuild key. ARGV: TTL (ms), the
 * rebuild time (ms; 0 for a starting node). Renews the liveness key and keeps the marker;
 * a node that beat before and finds its liveness key gone starts a rebuild (unless one is
 * under way). Returns 1 when the node was alive, else 0.
 */
const HEARTBEAT_LUA = `
local alive = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('SET', KEYS[2], '1', 'NX')
if alive == 0 and tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[2], 'NX')
end
return alive
`;

/**
 * KEYS: account hashes. ARGV: prefix of the node liveness keys, prefix of the node
 * connection sets, the presence marker and the rebuild key, then one account id per key.
 * Returns, per account, a flat list `conn, node, conn, node, …` of the connections on live
 * nodes; connections on nodes whose liveness key expired are removed on the way. One more
 * item follows: whether the marker exists (1/0) and the rebuild key's PTTL, read in the
 * same step as the entries. (The liveness keys and sets are derived from the hash contents,
 * so this script needs a single Redis, not a cluster.)
 */
const LOOKUP_LUA = `
local alive = {}
local out = {}
for i, key in ipairs(KEYS) do
  local flat = redis.call('HGETALL', key)
  local entries = {}
  for j = 1, #flat, 2 do
    local conn, node = flat[j], flat[j + 1]
    local ok = alive[node]
    if ok == nil then
      ok = redis.call('EXISTS', ARGV[1] .. node) == 1
      alive[node] = ok
    end
    if ok then
      entries[#entries + 1] = conn
      entries[#entries + 1] = node
    else
      redis.call('HDEL', key, conn)
      redis.call('SREM', ARGV[2] .. node, ARGV[4 + i] .. ':' .. conn)
    end
  end
  out[i] = entries
end
out[#KEYS + 1] = { redis.call('EXISTS', ARGV[3]), redis.call('PTTL', ARGV[4]) }
return out
`;

/** Connections moved per round trip by `dropNode`, so a large node never blocks Redis long. */
const DROP_CHUNK = 500;

/**
 * Presence in Redis: a hash per account (`connection id → node id`), a liveness key per
 * node that each heartbeat sets with a TTL, and a set per node of its connections
 * (`<account id>:<connection id>`) so that `dropNode` can remove them without a scan; plus
 * the presence marker and the rebuild key of `PresenceState`.
 * None of these keys expires on its own except the liveness key: a dead node's entries
 * stop counting when it expires and are removed by the next lookup that meets them, or by
 * `dropNode` when a node with that id starts again.
 */
export class RedisPresence implements Presence {
  private readonly removeScript: ScriptRunner;
  private readonly dropChunkScript: ScriptRunner;
  private readonly lookupScript: ScriptRunner;
  private readonly heartbeatScript: ScriptRunner;

  /** `redis` is shared and owned by the caller, who closes it. */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.removeScript = defineScript(redis, 'chatPresenceRemove', 1, REMOVE_LUA);
    this.dropChunkScript = defineScript(redis, 'chatPresenceDropChunk', 1, DROP_CHUNK_LUA);
    this.lookupScript = defineVariadicScript(redis, 'chatPresenceLookup', LOOKUP_LUA);
    this.heartbeatScript = defineScript(redis, 'chatPresenceHeartbeat', 3, HEARTBEAT_LUA);
  }

  async add(accountId: number, connId: string, nodeId: string): Promise<void> {
    await redisCall('presence add', async () => {
      const results = await this.redis
        .multi()
        .hset(this.keys.presenceAccount(accountId), connId, nodeId)
        .sadd(this.keys.presenceNodeConns(nodeId), `${accountId}:${connId}`)
        .exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }

  async remove(accountId: number, connId: string): Promise<void> {
    await redisCall('presence remove', () =>
      this.removeScript(
        [this.keys.presenceAccount(accountId)],
        [connId, `${accountId}:${connId}`, this.keys.presenceNodeConns('')],
      ),
    );
  }

  async heartbeat(nodeId: string, ttlMs: number, opts: HeartbeatOptions = {}): Promise<boolean> {
    const ttl = checkTtlMs(ttlMs);
    const rebuild = opts.rebuildMs === undefined ? 0 : checkTtlMs(opts.rebuildMs);
    // The liveness key is absent when it expired or Redis lost it.
    const alive = await redisCall('presence heartbeat', () =>
      this.heartbeatScript(
        [
          this.keys.presenceNode(nodeId),
          this.keys.presenceMarker(),
          this.keys.presenceRebuilding(),
        ],
        [ttl, rebuild],
      ),
    );
    return Number(alive) === 1;
  }

  async dropNode(nodeId: string): Promise<void> {
    // Liveness first: from here on lookups leave the node's entries out, however long the
    // removal below takes.
    await redisCall('presence drop node', () => this.redis.del(this.keys.presenceNode(nodeId)));
    for (;;) {
      const taken = await redisCall('presence drop node', () =>
        this.dropChunkScript(
          [this.keys.presenceNodeConns(nodeId)],
          [nodeId, this.keys.presenceAccount(''), DROP_CHUNK],
        ),
      );
      if (Number(taken) < DROP_CHUNK) return;
    }
  }

  async lookup(accountIds: number[]): Promise<Map<number, PresenceEntry[]>> {
    const ids = [...new Set(accountIds)];
    if (ids.length === 0) return new Map();
    return (await this.read(ids)).online;
  }

  snapshot(
    accountIds: number[],
  ): Promise<{ online: Map<number, PresenceEntry[]>; state: PresenceState }> {
    return this.read([...new Set(accountIds)]);
  }

  private async read(
    ids: number[],
  ): Promise<{ online: Map<number, PresenceEntry[]>; state: PresenceState }> {
    const reply = (await redisCall('presence lookup', () =>
      this.lookupScript(
        ids.map((id) => this.keys.presenceAccount(id)),
        [
          this.keys.presenceNode(''),
          this.keys.presenceNodeConns(''),
          this.keys.presenceMarker(),
          this.keys.presenceRebuilding(),
          ...ids,
        ],
      ),
    )) as unknown[];
    const online = new Map<number, PresenceEntry[]>();
    ids.forEach((id, i) => {
      const flat = (reply[i] ?? []) as string[];
      const entries: PresenceEntry[] = [];
      for (let j = 0; j < flat.length; j += 2) {
        entries.push({ connId: flat[j], nodeId: flat[j + 1] });
      }
      online.set(id, entries);
    });
    const [marker, rebuildPttl] = (reply[ids.length] ?? [0, -2]) as number[];
    return {
      online,
      state: { lost: Number(marker) !== 1, rebuildingMs: Math.max(0, Number(rebuildPttl)) },
    };
  }
}
