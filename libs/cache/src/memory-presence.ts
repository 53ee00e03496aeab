import { checkTtlMs } from './cache';
import { type Clock } from './expiring-map';
import {
  type HeartbeatOptions,
  type Presence,
  type PresenceEntry,
  type PresenceState,
  type SweptNode,
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
  /**
   * nodeId → connId → accountId: the node's connections, kept when a lookup drops them
   * from the account (the Redis node set), so that a sweep knows whom to announce.
   */
  private readonly nodeConns = new Map<string, Map<string, number>>();
  /** nodeId → time its liveness ends, in the clock's milliseconds. */
  private readonly aliveUntil = new Map<string, number>();
  /** Nodes that beat and were not forgotten by a sweep since. */
  private readonly registered = new Set<string>();
  /** When the rebuild under way ends (0: none). */
  private rebuildUntil = 0;

  constructor(private readonly now: Clock = Date.now) {}

  async add(accountId: number, connId: string, nodeId: string): Promise<void> {
    let conns = this.accounts.get(accountId);
    if (!conns) this.accounts.set(accountId, (conns = new Map()));
    conns.set(connId, nodeId);
    let held = this.nodeConns.get(nodeId);
    if (!held) this.nodeConns.set(nodeId, (held = new Map()));
    held.set(connId, accountId);
  }

  async remove(accountId: number, connId: string): Promise<void> {
    const conns = this.accounts.get(accountId);
    const nodeId = conns?.get(connId);
    if (!conns || nodeId === undefined) return;
    conns.delete(connId);
    this.nodeConns.get(nodeId)?.delete(connId);
    if (conns.size === 0) this.accounts.delete(accountId);
  }

  async heartbeat(nodeId: string, ttlMs: number, opts: HeartbeatOptions = {}): Promise<boolean> {
    const now = this.now();
    const wasAlive = (this.aliveUntil.get(nodeId) ?? 0) > now;
    this.aliveUntil.set(nodeId, now + checkTtlMs(ttlMs));
    this.registered.add(nodeId);
    if (!wasAlive && opts.rebuildMs !== undefined && this.rebuildUntil <= now) {
      this.rebuildUntil = now + checkTtlMs(opts.rebuildMs);
    }
    return wasAlive;
  }

  async dropNode(nodeId: string): Promise<number[]> {
    this.aliveUntil.delete(nodeId);
    return this.drain(nodeId);
  }

  /** One step, so no lock is needed: no other caller can sweep the node meanwhile. */
  async sweepDead(except: string, lockMs: number): Promise<SweptNode[]> {
    checkTtlMs(lockMs);
    const now = this.now();
    const swept: SweptNode[] = [];
    for (const nodeId of this.registered) {
      if (nodeId === except || (this.aliveUntil.get(nodeId) ?? 0) > now) continue;
      if (!this.nodeConns.get(nodeId)?.size) this.registered.delete(nodeId);
      else swept.push({ nodeId, accountIds: this.drain(nodeId) });
    }
    return swept;
  }

  /** Removes the node's connections and returns their accounts, each once. */
  private drain(nodeId: string): number[] {
    const held = this.nodeConns.get(nodeId);
    this.nodeConns.delete(nodeId);
    const accounts = new Set<number>();
    for (const [connId, accountId] of held ?? []) {
      accounts.add(accountId);
      const conns = this.accounts.get(accountId);
      if (conns?.get(connId) === nodeId) conns.delete(connId);
      if (conns?.size === 0) this.accounts.delete(accountId);
    }
    return [...accounts];
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
