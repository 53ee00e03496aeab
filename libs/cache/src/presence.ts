/**
 * Longest a Redis client of ours waits between two attempts to reconnect (create-cache.ts),
 * so a gateway is talking to a restarted Redis within this of its return.
 */
export const REDIS_RECONNECT_MAX_MS = 1000;

/**
 * Longest between two heartbeats of a gateway whose TTL allows it, so a gateway notices
 * within this that Redis lost its entries (its liveness key is gone) and announces its
 * sockets again.
 */
export const PRESENCE_BEAT_MAX_MS = 500;

/**
 * How long after presence was lost every gateway has announced its sockets again: each has
 * reconnected and beaten by `REDIS_RECONNECT_MAX_MS + PRESENCE_BEAT_MAX_MS` after Redis
 * answers, plus a second for the announcements themselves (200 sockets per round trip).
 * Routing waits this long while presence is rebuilt (`PresenceState`).
 */
export const PRESENCE_REBUILD_MS = REDIS_RECONNECT_MAX_MS + PRESENCE_BEAT_MAX_MS + 1000;

/**
 * Whether presence can be trusted to route pushes (docs/architecture.md, presence rebuild).
 * A Redis that restarted empty lost every entry; until each gateway has announced its
 * sockets again, an account that is online looks offline and its pushes would be dropped.
 */
export interface PresenceState {
  /**
   * The presence marker is missing: the store lost its data (a Redis restarted without
   * persistence) and no gateway has beaten since, or no gateway ever beat.
   */
  lost: boolean;
  /**
   * Milliseconds left of a rebuild under way (0: none): a gateway found its entries lost
   * and announced them again; the others do within this time.
   */
  rebuildingMs: number;
}

/** One online connection of an account: which gateway node holds its socket. */
export interface PresenceEntry {
  connId: string;
  nodeId: string;
}

/**
 * Who is online where (docs/data-model.md §4, docs/architecture.md: "presence routes pushes"): for each
 * account, its open connections and the gateway node holding each. A node's entries count
 * only while the node keeps heart-beating, so the entries of a crashed node stop counting
 * within one TTL; nothing has to clean up after it for routing to be right.
 *
 * Every beat also keeps a store-wide presence marker: its absence tells readers that the
 * store lost its data and presence is not complete yet (`PresenceState`).
 *
 * Connection ids are chosen by the gateway and must be unique across every node and every
 * restart of a node (the gateway puts a per-boot random part in them).
 */
export interface Presence {
  /** Marks a connection of `accountId` online on gateway `nodeId`. */
  add(accountId: number, connId: string, nodeId: string): Promise<void>;
  /** Forgets one connection; a connection that is not there is ignored. */
  remove(accountId: number, connId: string): Promise<void>;
  /**
   * Node heartbeat: the node's entries count as online for `ttlMs` after the last beat. A
   * node that never beat has no entries online.
   *
   * Resolves true when the node was alive already (its previous beat had not expired), false
   * otherwise: its first beat, a beat after an expiry, or after the store lost its data (a
   * Redis restarted without persistence). After a false the node's entries may be gone, and
   * the node announces its connections again.
   */
  heartbeat(nodeId: string, ttlMs: number, opts?: HeartbeatOptions): Promise<boolean>;
  /**
   * Graceful shutdown (or a restart with the same node id): the node's entries stop
   * counting at once and are removed. Resolves with the accounts whose entries it removed
   * (each once), which a restarting node announces offline where nothing else holds them.
   */
  dropNode(nodeId: string): Promise<number[]>;
  /**
   * Clean-up after crashed nodes (docs/features.md "Presence"): finds each node that beat
   * once, whose liveness has expired and whose entries are still there, takes a lock of
   * `lockMs` on it (so that of several callers only one sweeps a node) and removes its
   * entries, as `dropNode` does. Nodes that expired with no entry left are forgotten; a
   * node that beats again is not swept (and a sweep under way stops when it does). A
   * lookup that left out or removed a dead node's entries does not hide their accounts
   * from the sweep. `except` (the caller's own node) is never swept.
   *
   * Cheap when nothing died: one read of the registered nodes. Resolves with the nodes this
   * call swept and the accounts whose entries it removed.
   */
  sweepDead(except: string, lockMs: number): Promise<SweptNode[]>;
  /**
   * Online connections of each account: the map has an entry, possibly empty, for every id
   * asked for. Entries of nodes whose heartbeat expired are left out (and removed lazily).
   */
  lookup(accountIds: number[]): Promise<Map<number, PresenceEntry[]>>;
  /**
   * `lookup` and, read with it in one step, the `PresenceState` those entries come from:
   * what the notifier routes by, so it never trusts entries read from a store that has just
   * lost them.
   */
  snapshot(
    accountIds: number[],
  ): Promise<{ online: Map<number, PresenceEntry[]>; state: PresenceState }>;
}

/** One dead node cleaned up by `Presence.sweepDead`. */
export interface SweptNode {
  nodeId: string;
  /** Accounts that had connections on the node, each once. */
  accountIds: number[];
}

export interface HeartbeatOptions {
  /**
   * The node beat successfully before (it is not starting). When it finds itself not alive
   * any more, its entries were lost or expired: the beat then marks a rebuild of this many
   * milliseconds (`PresenceState.rebuildingMs`), unless one is under way already.
   */
  rebuildMs?: number;
}
