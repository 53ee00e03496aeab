import { randomUUID } from 'node:crypto';
import { type Redis } from 'ioredis';
import { checkTtlMs } from './cache';
import { type RedisKeys } from './keys';
import { defineScript, defineVariadicScript, redisCall, type ScriptRunner } from './redis-call';
import {
  type HeartbeatOptions,
  type Presence,
  type PresenceEntry,
  type PresenceState,
  type SweptNode,
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
 * KEYS: the node's connection set, its liveness key. ARGV: node id, prefix of the account
 * hashes, how many to take, '1' to take nothing from a node that is alive (a sweep). Removes
 * up to that many of the node's connections from their account hashes (only where the
 * hash still names this node) and returns the account id of each line it took; nil when
 * the node is alive and the sweep must stop.
 */
const DROP_CHUNK_LUA = `
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return false end
local taken = redis.call('SPOP', KEYS[1], tonumber(ARGV[3]))
local accounts = {}
for i, line in ipairs(taken) do
  local sep = string.find(line, ':', 1, true)
  local account = string.sub(line, 1, sep - 1)
  local key = ARGV[2] .. account
  local conn = string.sub(line, sep + 1)
  if redis.call('HGET', key, conn) == ARGV[1] then redis.call('HDEL', key, conn) end
  accounts[i] = account
end
return accounts
`;

/**
 * KEYS: the set of registered nodes. ARGV: prefix of the node liveness keys, prefix of the
 * node connection sets, the caller's node id. Returns the registered nodes (other than the
 * caller) whose liveness key is gone while their connection set is not empty; forgets
 * those whose set is empty. (Keys derived from the set's members: a single Redis.)
 */
const DEAD_NODES_LUA = `
local dead = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if node ~= ARGV[3] and redis.call('EXISTS', ARGV[1] .. node) == 0 then
    if redis.call('SCARD', ARGV[2] .. node) == 0 then
      redis.call('SREM', KEYS[1], node)
    else
      dead[#dead + 1] = node
    end
  end
end
return dead
`;

/**
 * KEYS: the node's liveness key, its sweep lock. ARGV: lock TTL (ms), the holder's token.
 * Takes the lock unless the node is alive or another holder has it; returns 1 if taken.
 */
const CLAIM_SWEEP_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[1]) then return 1 end
return 0
`;

/** KEYS: a sweep lock. ARGV: the holder's token. Releases the lock if still the holder's. */
const RELEASE_SWEEP_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * KEYS: the node's liveness key, the presence marker, the rebuild key, the set of
 * registered nodes. ARGV: TTL (ms), the rebuild time (ms; 0 for a starting node), the node
 * id. Renews the liveness key, registers the node and keeps the marker; a node that beat
 * before and finds its liveness key gone starts a rebuild (unless one is under way).
 * Returns 1 when the node was alive, else 0.
 */
const HEARTBEAT_LUA = `
local alive = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('SET', KEYS[2], '1', 'NX')
if alive == 0 and tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[2], 'NX')
end
return alive
`;

/**
 * KEYS: account hashes. ARGV: prefix of the node liveness keys, the presence marker and the
 * rebuild key. Returns, per account, a flat list `conn, node, conn, node, …` of the
 * connections on live nodes; connections on nodes whose liveness key expired are removed
 * from the account hash on the way (not from the node's set, whose lines tell the sweep of
 * the dead node which accounts to announce). One more item follows: whether the marker
 * exists (1/0) and the rebuild key's PTTL, read in the same step as the entries. (The
 * liveness keys are derived from the hash contents, so this script needs a single Redis,
 * not a cluster.)
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
    end
  end
  out[i] = entries
end
out[#KEYS + 1] = { redis.call('EXISTS', ARGV[2]), redis.call('PTTL', ARGV[3]) }
return out
`;

/** Connections moved per round trip by `dropNode`, so a large node never blocks Redis long. */
const DROP_CHUNK = 500;

/**
 * Presence in Redis: a hash per account (`connection id → node id`), a liveness key per
 * node that each heartbeat sets with a TTL, and a set per node of its connections
 * (`<account id>:<connection id>`) so that `dropNode` can remove them without a scan; plus
 * the presence marker and the rebuild key of `PresenceState`.
 * A set of the nodes that ever beat lets every gateway's heartbeat round find, in one read,
 * a node that died with entries left (`sweepDead`).
 * None of these keys expires on its own except the liveness key (and a sweep lock): a dead
 * node's entries stop counting when it expires, leave its accounts' hashes at the next
 * lookup that meets them, and are removed for good by the sweep of a live gateway, or by
 * `dropNode` when a node with that id starts again.
 */
export class RedisPresence implements Presence {
  private readonly removeScript: ScriptRunner;
  private readonly dropChunkScript: ScriptRunner;
  private readonly lookupScript: ScriptRunner;
  private readonly heartbeatScript: ScriptRunner;
  private readonly deadNodesScript: ScriptRunner;
  private readonly claimSweepScript: ScriptRunner;
  private readonly releaseSweepScript: ScriptRunner;

  /** `redis` is shared and owned by the caller, who closes it. */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.removeScript = defineScript(redis, 'chatPresenceRemove', 1, REMOVE_LUA);
    this.dropChunkScript = defineScript(redis, 'chatPresenceDropChunk', 2, DROP_CHUNK_LUA);
    this.lookupScript = defineVariadicScript(redis, 'chatPresenceLookup', LOOKUP_LUA);
    this.heartbeatScript = defineScript(redis, 'chatPresenceHeartbeat', 4, HEARTBEAT_LUA);
    this.deadNodesScript = defineScript(redis, 'chatPresenceDeadNodes', 1, DEAD_NODES_LUA);
    this.claimSweepScript = defineScript(redis, 'chatPresenceClaimSweep', 2, CLAIM_SWEEP_LUA);
    this.releaseSweepScript = defineScript(redis, 'chatPresenceReleaseSweep', 1, RELEASE_SWEEP_LUA);
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
          this.keys.presenceNodes(),
        ],
        [ttl, rebuild, nodeId],
      ),
    );
    return Number(alive) === 1;
  }

  async dropNode(nodeId: string): Promise<number[]> {
    // Liveness first: from here on lookups leave the node's entries out, however long the
    // removal below takes.
    await redisCall('presence drop node', () => this.redis.del(this.keys.presenceNode(nodeId)));
    return this.drain(nodeId, false);
  }

  async sweepDead(except: string, lockMs: number): Promise<SweptNode[]> {
    const ttl = checkTtlMs(lockMs);
    const dead = (await redisCall('presence dead nodes', () =>
      this.deadNodesScript(
        [this.keys.presenceNodes()],
        [this.keys.presenceNode(''), this.keys.presenceNodeConns(''), except],
      ),
    )) as string[];
    const swept: SweptNode[] = [];
    for (const nodeId of dead) {
      const lock = this.keys.presenceSweep(nodeId);
      const token = `${except}:${randomUUID()}`;
      const claimed = await redisCall('presence sweep', () =>
        this.claimSweepScript([this.keys.presenceNode(nodeId), lock], [ttl, token]),
      );
      if (Number(claimed) !== 1) continue;
      try {
        // Empty when another caller swept it just before (its lock already released).
        const accountIds = await this.drain(nodeId, true);
        if (accountIds.length > 0) swept.push({ nodeId, accountIds });
      } finally {
        await redisCall('presence sweep', () => this.releaseSweepScript([lock], [token]));
      }
    }
    return swept;
  }

  /**
   * Removes the node's entries by chunks and returns their accounts; a sweep (`guarded`)
   * stops as soon as the node is alive again (it restarted with the same id).
   */
  private async drain(nodeId: string, guarded: boolean): Promise<number[]> {
    const accounts = new Set<number>();
    for (;;) {
      const taken = (await redisCall('presence drop node', () =>
        this.dropChunkScript(
          [this.keys.presenceNodeConns(nodeId), this.keys.presenceNode(nodeId)],
          [nodeId, this.keys.presenceAccount(''), DROP_CHUNK, guarded ? '1' : '0'],
        ),
      )) as string[] | null;
      for (const id of taken ?? []) accounts.add(Number(id));
      if (!taken || taken.length < DROP_CHUNK) return [...accounts];
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
        [this.keys.presenceNode(''), this.keys.presenceMarker(), this.keys.presenceRebuilding()],
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
