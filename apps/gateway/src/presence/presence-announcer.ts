import type { Bus } from '@chat/bus';
import { PRESENCE_BEAT_MAX_MS, PRESENCE_REBUILD_MS, type Presence } from '@chat/cache';
import type { Logger } from '@chat/logger';
import { route } from '@chat/domain';
import type { PUSH_EVENTS } from '@chat/protocol';
import { pushText } from '../protocol/frames';
import type { Connection } from '../sockets/connection';
import type { LocalSockets } from '../sockets/local-sockets';
import type { PresenceWatch } from './presence-watch';

/** Connections re-announced per round trip after a heartbeat lapse. */
const REANNOUNCE_CHUNK = 200;
/** Wait before the next beat after a failed one. */
const RETRY_BEAT_MS = 1000;
/**
 * How long one gateway holds the sweep of a dead node (`Presence.sweepDead`): released as
 * soon as the node is swept; if this gateway dies meanwhile, another takes the node over
 * once it expires.
 */
export const SWEEP_LOCK_MS = 10_000;

export interface PresenceAnnouncerDeps {
  presence: Presence;
  bus: Pick<Bus, 'publishMany'>;
  sockets: LocalSockets;
  nodeId: string;
  /** `Gateway.PresenceTtl`: entries count this long after the last heartbeat. */
  ttlMs: number;
  /**
   * Told of accounts whose entries a dead node left (`gone`), and of the accounts this node
   * announced again after its own heartbeat lapsed (`back`), to publish their presence.
   */
  watch?: Pick<PresenceWatch, 'gone' | 'back'>;
  log: Logger;
}

/**
 * This node's side of presence (docs/data-model.md §4, docs/protocol.md §2.1, §2.3): the online set entries
 * of its authenticated sockets, the node heartbeat, and the `account_login` /
 * `account_logout` pushes to an account's other connections, written here for local
 * sockets and sent as a `DeliveryRecord` to each other node that holds one.
 */
export class PresenceAnnouncer {
  private timer?: NodeJS.Timeout;
  private beating?: Promise<boolean>;
  /** The sweep of dead nodes under way. */
  private sweeping?: Promise<void>;
  /** Announcements under way beside the heartbeat (awaited by `stop`). */
  private readonly announcing = new Set<Promise<void>>();
  private stopped = false;
  /** When the last heartbeat succeeded (0: never). */
  private lastBeatAt = 0;

  constructor(private readonly deps: PresenceAnnouncerDeps) {}

  /**
   * Clears what a previous run under this node id left (a crash leaves entries behind) and
   * announces its accounts offline where no other node holds them (unless a sweep by
   * another node took them first: each entry is removed by one of the two), beats once,
   * then every third of the TTL but at least every `PRESENCE_BEAT_MAX_MS`, so that a Redis
   * restarted empty is noticed within that (the notifier holds routing that long,
   * docs/architecture.md); after a failed beat (Redis unreachable), every second until one
   * succeeds, so connections are announced again soon after Redis is back.
   */
  async start(): Promise<void> {
    const left = await this.deps.presence.dropNode(this.deps.nodeId);
    const at = Date.now();
    await this.beat();
    if (left.length > 0 && this.deps.watch) {
      this.deps.log.warn({ accounts: left.length }, 'entries of a previous run dropped');
      this.aside(this.deps.watch.gone(left, at));
    }
    this.schedule(this.intervalMs);
  }

  /**
   * Stops beating and removes this node's entries at once (graceful shutdown), then
   * announces offline the accounts it alone held, as a sweep would after a crash but without
   * waiting for the TTL: their watchers on other gateways would otherwise keep seeing them
   * online. An account connected elsewhere too is left alone; one whose client reconnects
   * to another gateway is announced online again by that gateway. The sockets close after
   * this, without a logout push each (`Session.closed`).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.sweeping;
    await Promise.all([...this.announcing]);
    const left = await this.deps.presence.dropNode(this.deps.nodeId);
    if (left.length > 0 && this.deps.watch) await this.deps.watch.gone(left, Date.now());
  }

  private get intervalMs(): number {
    return Math.max(1, Math.min(PRESENCE_BEAT_MAX_MS, Math.floor(this.deps.ttlMs / 3)));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.beat().then((ok) =>
        this.schedule(ok ? this.intervalMs : Math.min(this.intervalMs, RETRY_BEAT_MS)),
      );
    }, delayMs);
  }

  /**
   * One heartbeat; resolves false when it failed. When the node was not alive any more at
   * this beat (the previous success is a TTL or more ago, so other processes may have removed
   * this node's entries as dead; or Redis restarted empty and lost them), every local
   * connection is announced again (docs/data-model.md §4: "re-announced by the next
   * heartbeat"). A node that beat before tells the store so, and its finding itself not
   * alive starts a rebuild, during which the notifier holds routing until every node has
   * announced its sockets again.
   */
  beat(): Promise<boolean> {
    this.beating ??= (async () => {
      const { presence, nodeId, ttlMs, log } = this.deps;
      try {
        const wasAlive = await presence.heartbeat(
          nodeId,
          ttlMs,
          this.lastBeatAt > 0 ? { rebuildMs: PRESENCE_REBUILD_MS } : {},
        );
        const lapsed = this.lastBeatAt > 0 && (!wasAlive || Date.now() - this.lastBeatAt >= ttlMs);
        this.lastBeatAt = Date.now();
        if (lapsed) await this.reannounce();
        this.sweep();
        return true;
      } catch (err) {
        log.warn({ err }, 'presence heartbeat failed');
        return false;
      } finally {
        this.beating = undefined;
      }
    })();
    return this.beating;
  }

  /** Marks an authenticated connection online (first successful auth). */
  join(conn: Connection, accountId: number): Promise<void> {
    return this.deps.presence.add(accountId, conn.connId, this.deps.nodeId);
  }

  leave(conn: Connection, accountId: number): Promise<void> {
    return this.deps.presence.remove(accountId, conn.connId);
  }

  /**
   * Pushes `account_login` or `account_logout {address}` to the account's connections other
   * than `conn`: local ones directly, remote ones through their nodes' delivery topics.
   * Best effort, like every push (docs/protocol.md §5).
   */
  async announce(
    event: typeof PUSH_EVENTS.accountLogin | typeof PUSH_EVENTS.accountLogout,
    accountId: number,
    conn: Connection,
  ): Promise<void> {
    const { presence, bus, sockets, nodeId } = this.deps;
    const data = { address: conn.address };
    const text = pushText(event, data);
    for (const other of sockets.ofAccount(accountId)) if (other !== conn) other.send(text);

    // Other nodes through the pushes' one router; this node's sockets were written above.
    const entries = (await presence.lookup([accountId])).get(accountId) ?? [];
    const remote = entries.filter((e) => e.nodeId !== nodeId);
    if (remote.length === 0) return;
    await bus.publishMany(
      route(
        [{ key: String(accountId), frame: { event, data }, to: [accountId] }],
        new Map([[accountId, remote]]),
      ),
    );
  }

  /**
   * After a successful beat, unless one is under way: finds the nodes that died with
   * entries left (docs/features.md "Presence": a crashed gateway's liveness key expired)
   * and, for those this node takes the lock of, removes their entries and announces
   * offline the accounts that have no live connection left. Runs beside the heartbeat, so
   * a long announcement never delays this node's own beats.
   */
  private sweep(): void {
    if (this.sweeping || this.stopped) return;
    const { presence, nodeId, watch, log } = this.deps;
    this.sweeping = (async () => {
      try {
        const swept = await presence.sweepDead(nodeId, SWEEP_LOCK_MS);
        const at = Date.now();
        for (const dead of swept) {
          log.warn(
            { node: dead.nodeId, accounts: dead.accountIds.length },
            'gateway node died: its presence entries removed',
          );
          await watch?.gone(dead.accountIds, at);
        }
      } catch (err) {
        log.warn({ err }, 'presence sweep failed');
      } finally {
        this.sweeping = undefined;
      }
    })();
  }

  private async reannounce(): Promise<void> {
    const conns = this.deps.sockets.authenticated();
    this.deps.log.warn({ connections: conns.length }, 'presence lapsed, announcing again');
    const accounts = new Set<number>();
    for (let i = 0; i < conns.length; i += REANNOUNCE_CHUNK) {
      await Promise.all(
        conns
          .slice(i, i + REANNOUNCE_CHUNK)
          .filter((c) => c.isOpen && c.accountId !== null)
          .map((c) => {
            accounts.add(c.accountId as number);
            return this.join(c, c.accountId as number);
          }),
      );
    }
    // A sweep by another node may have announced them offline while this node lapsed.
    // Beside the heartbeat, which must not wait for it.
    if (this.deps.watch) this.aside(this.deps.watch.back([...accounts]));
  }

  /** Runs a best-effort announcement (it logs its own failures) beside the heartbeat. */
  private aside(work: Promise<void>): void {
    const tracked = work.finally(() => this.announcing.delete(tracked));
    this.announcing.add(tracked);
  }
}
