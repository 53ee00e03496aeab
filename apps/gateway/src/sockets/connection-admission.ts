import { CONNECTION_KEYS, type ConnectionCounts } from '@chat/cache';
import type { Logger } from '@chat/logger';
import { AppError, CLOSE_CODES, ErrorCode } from '@chat/protocol';
import { rateKeyOfAddress } from '@chat/runtime';
import type { Connection } from './connection';

/**
 * Close code for a socket refused by `Gateway.MaxConnectionsPerAccount`, after the 1004
 * reply (or `error` push) that says why (docs/protocol.md §2.4, docs/limits.md): 4429 sits
 * next to the other 44xx codes, after HTTP 429.
 */
export const CLOSE_TOO_MANY_CONNECTIONS = CLOSE_CODES.tooManyConnections;

/** Keys written per round trip when this node writes its counts again. */
const RESTORE_CHUNK = 500;

/** An authentication refused because the account holds its most sockets already. */
export class TooManyConnectionsError extends AppError {
  constructor() {
    super(ErrorCode.TooManyRequests, 'too many connections for this account');
    this.name = 'TooManyConnectionsError';
  }
}

export type ConnectionLimit = 'connections_per_account' | 'connections_per_address';

export interface AdmissionOptions {
  /** `Gateway.MaxConnectionsPerAccount`; 0: no limit. */
  perAccount: number;
  /** `Gateway.MaxConnectionsPerAddress`; 0: no limit. */
  perAddress: number;
  /** `Gateway.PresenceTtl`: this node's counts stop adding up this long after its last beat. */
  ttlMs: number;
}

export interface AdmissionDeps {
  counts: ConnectionCounts;
  nodeId: string;
  /** True once shutdown began: `dropNode` then removes every count at once. */
  isStopping(): boolean;
  /** Told of each refusal (the metric). */
  onRefused?(limit: ConnectionLimit): void;
  log: Logger;
  /** Clock of the heartbeat lapse check; default `Date.now`. */
  now?: () => number;
}

export const accountKey = (accountId: number): string => CONNECTION_KEYS.account(accountId);
export const addressKey = (address: string): string =>
  CONNECTION_KEYS.address(rateKeyOfAddress(address));

/**
 * Limits on concurrent connections per account and per client address over every gateway
 * (`Gateway.MaxConnectionsPerAccount`, `MaxConnectionsPerAddress`). The counts live in the
 * shared `ConnectionCounts` (Redis), per node, and add up only while the node heart-beats:
 * the sockets of a gateway that died stop counting within `ttlMs`.
 *
 * The address is counted at the upgrade (refused with HTTP 429, before any socket exists);
 * the account once the socket authenticates (refused with 1004, then close 4429). A socket
 * gives back its places when it closes.
 *
 * This node also keeps its own counts per key. In the normal course the store agrees with
 * them exactly; when a store call fails (its effect unknown) or the heartbeat lapsed (other
 * nodes may have dropped this node's counts as dead), the keys concerned are written again
 * from here by the next heartbeat, each once no call for it is under way.
 */
export class ConnectionAdmission {
  /** What this node counts per key (keys at 0 are left out). */
  private readonly counts = new Map<string, number>();
  /** Store calls under way per key: its count in the store is not final until they return. */
  private readonly pending = new Map<string, number>();
  /** Keys whose count the store may have wrong: a call failed, or the heartbeat lapsed. */
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  /** When the last heartbeat succeeded (0: never). */
  private lastBeatAt = 0;

  constructor(
    private readonly deps: AdmissionDeps,
    private readonly opts: AdmissionOptions,
  ) {}

  /** Whether upgrades wait for the address count (otherwise they are taken at once). */
  get limitsAddresses(): boolean {
    return this.opts.perAddress > 0;
  }

  private get isOn(): boolean {
    return this.opts.perAccount > 0 || this.opts.perAddress > 0;
  }

  /**
   * Clears what a previous run under this node id left (a crash leaves counts behind),
   * beats once, then every third of the TTL. With both limits off, nothing is counted.
   */
  async start(): Promise<void> {
    if (!this.isOn) return;
    await this.deps.counts.dropNode(this.deps.nodeId);
    await this.beat();
    this.timer = setInterval(() => void this.beat(), Math.max(1, Math.floor(this.opts.ttlMs / 3)));
  }

  /** Stops beating and removes this node's counts at once (graceful shutdown). */
  async stop(): Promise<void> {
    if (!this.isOn) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.deps.counts.dropNode(this.deps.nodeId);
    this.counts.clear();
    this.dirty.clear();
  }

  /** Counts `conn` under its client address; false when that address is at its limit. */
  async admitAddress(conn: Connection): Promise<boolean> {
    if (this.opts.perAddress <= 0 || conn.countedAddress) return true;
    const admitted = await this.acquire(addressKey(conn.address), this.opts.perAddress);
    if (admitted) conn.countedAddress = true;
    else this.deps.onRefused?.('connections_per_address');
    return admitted;
  }

  /**
   * Counts `conn` under `accountId` (its first authentication); false when the account is
   * at its limit. A socket that closed meanwhile is given back at once.
   */
  async admitAccount(conn: Connection, accountId: number): Promise<boolean> {
    if (this.opts.perAccount <= 0 || conn.countedAccount === accountId) return true;
    const key = accountKey(accountId);
    if (!(await this.acquire(key, this.opts.perAccount))) {
      this.deps.onRefused?.('connections_per_account');
      return false;
    }
    if (conn.isOpen) conn.countedAccount = accountId;
    else this.releaseKey(key);
    return true;
  }

  /** Gives back the account place of `conn` (an authentication that failed after it). */
  releaseAccount(conn: Connection): void {
    const accountId = conn.countedAccount;
    if (accountId === 0) return;
    conn.countedAccount = 0;
    this.releaseKey(accountKey(accountId));
  }

  /** Gives back every place `conn` holds (its socket closed, or its upgrade failed). */
  release(conn: Connection): void {
    this.releaseAccount(conn);
    if (!conn.countedAddress) return;
    conn.countedAddress = false;
    this.releaseKey(addressKey(conn.address));
  }

  /**
   * One heartbeat; then the keys whose count the store may have wrong are written again.
   * If the previous success is a TTL or more ago, other nodes may have dropped this node's
   * counts as dead: all of them are written again.
   */
  beat(): Promise<void> {
    this.beating ??= (async () => {
      const { counts, nodeId, log } = this.deps;
      try {
        await counts.heartbeat(nodeId, this.opts.ttlMs);
        const now = (this.deps.now ?? Date.now)();
        const lapsed = this.lastBeatAt > 0 && now - this.lastBeatAt >= this.opts.ttlMs;
        this.lastBeatAt = now;
        if (lapsed) {
          log.warn({ keys: this.counts.size }, 'connection counts lapsed, writing them again');
          for (const key of this.counts.keys()) this.dirty.add(key);
        }
        await this.resync();
      } catch (err) {
        log.warn({ err }, 'connection count heartbeat failed');
      } finally {
        this.beating = undefined;
      }
    })();
    return this.beating;
  }

  /** This node's count of `key`, as it knows it (for tests and logs). */
  localCount(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  private async acquire(key: string, limit: number): Promise<boolean> {
    this.startCall(key);
    try {
      const admitted = await this.deps.counts.acquire(this.deps.nodeId, key, limit);
      if (admitted) this.counts.set(key, this.localCount(key) + 1);
      return admitted;
    } catch (err) {
      // Counted or not, nobody knows: the next heartbeat writes the count again.
      this.dirty.add(key);
      throw err;
    } finally {
      this.endCall(key);
    }
  }

  private releaseKey(key: string): void {
    const count = this.localCount(key);
    if (count === 0) return;
    if (count === 1) this.counts.delete(key);
    else this.counts.set(key, count - 1);
    // On shutdown `dropNode` removes every count at once: one call per socket is noise.
    if (this.deps.isStopping()) return;
    this.startCall(key);
    this.deps.counts
      .release(this.deps.nodeId, key)
      .catch((err: unknown) => {
        this.dirty.add(key);
        this.deps.log.warn({ err, key }, 'connection count release failed');
      })
      .finally(() => this.endCall(key));
  }

  /**
   * Writes the count of each dirty key that has no call under way. Each chunk is read from
   * the counts just before it is sent: calls issued after it reach the store after it.
   */
  private async resync(): Promise<void> {
    const dirty = [...this.dirty];
    for (let i = 0; i < dirty.length; i += RESTORE_CHUNK) {
      const chunk = dirty
        .slice(i, i + RESTORE_CHUNK)
        .filter((key) => this.dirty.has(key) && !this.pending.has(key));
      if (chunk.length === 0) continue;
      for (const key of chunk) this.dirty.delete(key);
      try {
        await this.deps.counts.restore(
          this.deps.nodeId,
          chunk.map((key) => [key, this.localCount(key)] as const),
        );
      } catch (err) {
        for (const key of chunk) this.dirty.add(key);
        throw err;
      }
    }
  }

  private startCall(key: string): void {
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
  }

  private endCall(key: string): void {
    const left = (this.pending.get(key) ?? 1) - 1;
    if (left > 0) this.pending.set(key, left);
    else this.pending.delete(key);
  }
}
