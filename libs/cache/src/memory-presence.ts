import { checkTtlMs } from './cache';
import { type Clock } from './expiring-map';
import {
  type HeartbeatOptions,
  type Presence,
  type PresenceEntry,
  type PresenceState,
} from './presence';

/**
 * In-process presence (the embedded default), with the Redis adapter's semantics: a node's
 * entries count while its last heartbeat is younger than its TTL, and entries of a dead
 * node are dropped when a lookup meets them. Its data live as long as the process that
 * holds the gateway, so presence is never lost: the marker of `PresenceState` is always
 * there, and only a node that lapsed (a beat after its TTL) starts a rebuild.
 */
export class MemoryPresence implements Presence {
  /** accountId → connId → nodeId. */
  private readonly accounts = new Map<number, Map<string, string>>();
  /** nodeId → time its liveness ends, in the clock's milliseconds. */
  private readonly aliveUntil = new Map<string, number>();
  /** When the rebuild under way ends (0: none). */
  private rebuildUntil = 0;

  constructor(private readonly now: Clock = Date.now) {}

  async add(accountId: number, connId: string, nodeId: string): Promise<void> {
    let conns = this.accounts.get(accountId);
    if (!conns) this.accounts.set(accountId, (conns = new Map()));
    conns.set(connId, nodeId);
  }

  async remove(accountId: number, connId: string): Promise<void> {
    const conns = this.accounts.get(accountId);
    if (!conns) return;
    conns.delete(connId);
    if (conns.size === 0) this.accounts.delete(accountId);
  }

  async heartbeat(nodeId: string, ttlMs: number, opts: HeartbeatOptions = {}): Promise<boolean> {
    const now = this.now();
    const wasAlive = (this.aliveUntil.get(nodeId) ?? 0) > now;
    this.aliveUntil.set(nodeId, now + checkTtlMs(ttlMs));
    if (!wasAlive && opts.rebuildMs !== undefined && this.rebuildUntil <= now) {
      this.rebuildUntil = now + checkTtlMs(opts.rebuildMs);
    }
    return wasAlive;
  }

  async dropNode(nodeId: string): Promise<void> {
    this.aliveUntil.delete(nodeId);
    for (const [accountId, conns] of this.accounts) {
      for (const [connId, node] of conns) if (node === nodeId) conns.delete(connId);
      if (conns.size === 0) this.accounts.delete(accountId);
    }
  }

  async lookup(accountIds: number[]): Promise<Map<number, PresenceEntry[]>> {
    const now = this.now();
    const out = new Map<number, PresenceEntry[]>();
    for (const accountId of accountIds) {
      if (out.has(accountId)) continue;
      const entries: PresenceEntry[] = [];
      const conns = this.accounts.get(accountId);
      for (const [connId, nodeId] of conns ?? []) {
        if ((this.aliveUntil.get(nodeId) ?? 0) > now) entries.push({ connId, nodeId });
        else conns?.delete(connId);
      }
      if (conns?.size === 0) this.accounts.delete(accountId);
      out.set(accountId, entries);
    }
    return out;
  }

  async snapshot(
    accountIds: number[],
  ): Promise<{ online: Map<number, PresenceEntry[]>; state: PresenceState }> {
    const online = await this.lookup(accountIds);
    return {
      online,
      state: { lost: false, rebuildingMs: Math.max(0, this.rebuildUntil - this.now()) },
    };
  }
}
