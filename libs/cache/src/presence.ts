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
  heartbeat(nodeId: string, ttlMs: number): Promise<boolean>;
  /**
   * Graceful shutdown (or a restart with the same node id): the node's entries stop
   * counting at once and are removed.
   */
  dropNode(nodeId: string): Promise<void>;
  /**
   * Online connections of each account: the map has an entry, possibly empty, for every id
   * asked for. Entries of nodes whose heartbeat expired are left out (and removed lazily).
   */
  lookup(accountIds: number[]): Promise<Map<number, PresenceEntry[]>>;
}
