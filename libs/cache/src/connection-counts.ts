/**
 * Open connections per key (an account, a client address) summed over every gateway node,
 * for limits on concurrent connections.
 *
 * Each node keeps its own count per key, and a node's counts add up only while the node
 * keeps heart-beating: when a gateway dies without a word (SIGKILL, a lost host), its
 * connections stop counting one TTL after its last heartbeat, and whatever it held is
 * removed by the next `acquire` that meets it. Nothing has to clean up after it, and no
 * count is refreshed per connection: a node pays one heartbeat per TTL third, however many
 * connections it holds.
 */
export interface ConnectionCounts {
  /**
   * Counts one more connection of `key` on `nodeId` if fewer than `limit` are counted for
   * it over the live nodes now, and says whether it did. Atomic across every process
   * sharing the store: concurrent acquires never admit more than `limit`.
   */
  acquire(nodeId: string, key: string, limit: number): Promise<boolean>;
  /** Counts one connection of `key` on `nodeId` less (never below zero). */
  release(nodeId: string, key: string): Promise<void>;
  /**
   * Sets the node's counts of these keys as given (0 removes a key): how a node puts its
   * counts back after they may have been dropped (its heartbeat lapsed) or went out of step
   * (a store call failed halfway).
   */
  restore(
    nodeId: string,
    counts: readonly (readonly [key: string, count: number])[],
  ): Promise<void>;
  /**
   * Node heartbeat: the node's counts add up for `ttlMs` after the last beat. A node that
   * never beat has no counts that add up.
   */
  heartbeat(nodeId: string, ttlMs: number): Promise<void>;
  /** Graceful stop (or a start under the same node id): the node's counts go at once. */
  dropNode(nodeId: string): Promise<void>;
  /** Connections of `key` counted over the live nodes. */
  total(key: string): Promise<number>;
}
