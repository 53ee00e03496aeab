import { checkTtlMs } from './cache';
import { type ConnectionCounts } from './connection-counts';
import { type Clock } from './expiring-map';

/**
 * In-process connection counts (the embedded default), with the Redis adapter's semantics:
 * a node's counts add up while its last heartbeat is younger than its TTL, and the counts
 * of a dead node are dropped by the first `acquire` that meets them.
 */
export class MemoryConnectionCounts implements ConnectionCounts {
  /** nodeId → key → count. */
  private readonly nodes = new Map<string, Map<string, number>>();
  /** nodeId → time its liveness ends, in the clock's milliseconds. */
  private readonly aliveUntil = new Map<string, number>();

  constructor(private readonly now: Clock = Date.now) {}

  async acquire(nodeId: string, key: string, limit: number): Promise<boolean> {
    // Synchronous from the sum to the count, so racing acquires never over-admit.
    if (this.liveTotal(key) >= limit) return false;
    const counts = this.countsOf(nodeId);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return true;
  }

  async release(nodeId: string, key: string): Promise<void> {
    const counts = this.nodes.get(nodeId);
    const left = (counts?.get(key) ?? 0) - 1;
    if (left > 0) counts?.set(key, left);
    else counts?.delete(key);
  }

  async restore(nodeId: string, entries: readonly (readonly [string, number])[]): Promise<void> {
    const counts = this.countsOf(nodeId);
    for (const [key, count] of entries) {
      if (count > 0) counts.set(key, count);
      else counts.delete(key);
    }
  }

  async heartbeat(nodeId: string, ttlMs: number): Promise<void> {
    this.aliveUntil.set(nodeId, this.now() + checkTtlMs(ttlMs));
    this.countsOf(nodeId);
  }

  async dropNode(nodeId: string): Promise<void> {
    this.aliveUntil.delete(nodeId);
    this.nodes.delete(nodeId);
  }

  async total(key: string): Promise<number> {
    return this.liveTotal(key);
  }

  /** Also drops the counts of every node found dead, as the Redis script does. */
  private liveTotal(key: string): number {
    const now = this.now();
    let total = 0;
    for (const [nodeId, counts] of this.nodes) {
      if ((this.aliveUntil.get(nodeId) ?? 0) > now) {
        total += counts.get(key) ?? 0;
      } else {
        this.nodes.delete(nodeId);
        this.aliveUntil.delete(nodeId);
      }
    }
    return total;
  }

  private countsOf(nodeId: string): Map<string, number> {
    let counts = this.nodes.get(nodeId);
    if (!counts) this.nodes.set(nodeId, (counts = new Map()));
    return counts;
  }
}
