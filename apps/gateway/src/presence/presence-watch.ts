import type { Bus } from '@chat/bus';
import { ENTRY_KEYS, type Cache, type Presence } from '@chat/cache';
import type { Logger } from '@chat/logger';
import {
  AppError,
  ErrorCode,
  InvalidInputError,
  PermissionDeniedError,
  PRESENCE_SUBSCRIPTIONS_MAX,
  PUSH_EVENTS,
  TOPICS,
  type PresenceChangedRecord,
} from '@chat/protocol';
import type { PresenceGround, PresencePair } from '@chat/db';
import { pushText } from '../protocol/frames';
import type { Connection } from '../sockets/connection';
import type { GatewayStore } from '../store/gateway-store';

/** How long a last-seen time is kept after the account's last connect or disconnect. */
export const LAST_SEEN_TTL_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * Visibility reads made for one subscribe or one check when a relation a result rests on
 * changed while it was read (each read after the first sees that change).
 */
const GROUND_READS_MAX = 5;
/** Subscriptions checked again per database read after a relation changed. */
const RECHECK_CHUNK = 500;
/** Accounts announced per round trip after a gateway node died or lapsed. */
const ANNOUNCE_CHUNK = 200;

/** One account's presence as a subscriber sees it (docs/protocol.md §3.5). */
export interface PresenceView {
  account_id: number;
  online: boolean;
  last_seen: string | null;
}

/** What is known of an account, before the viewer is taken into account. */
export interface PresenceFacts {
  accountId: number;
  /** Connections on live gateway nodes. */
  connections: number;
  /** Last connect or disconnect of a device, epoch ms; undefined if unknown. */
  lastSeenMs?: number;
  hidden: boolean;
}

/**
 * The presence `viewerId` sees of an account (docs/protocol.md §3.5, §3.6): online while
 * any of its devices is connected; a hidden account appears offline with no last-seen time
 * to everyone but itself.
 */
export function viewPresence(facts: PresenceFacts, viewerId: number): PresenceView {
  if (facts.hidden && viewerId !== facts.accountId) {
    return { account_id: facts.accountId, online: false, last_seen: null };
  }
  return {
    account_id: facts.accountId,
    online: facts.connections > 0,
    last_seen: facts.lastSeenMs === undefined ? null : new Date(facts.lastSeenMs).toISOString(),
  };
}

/**
 * The part of a view whose change is pushed: going online or offline, or hidden (offline with
 * no last seen). Not the last-seen time itself: every device that leaves stamps it, and two
 * devices leaving one after the other must give one offline push, not two.
 */
function viewKey(view: PresenceView): string {
  return view.online ? 'on' : view.last_seen === null ? 'off' : 'off:seen';
}

export interface PresenceWatchDeps {
  presence: Pick<Presence, 'lookup'>;
  cache: Pick<Cache, 'get' | 'set'>;
  bus: Pick<Bus, 'publish' | 'publishMany'>;
  store: Pick<GatewayStore, 'presenceGrounds' | 'presenceHidden' | 'setPresenceHidden'>;
  log: Logger;
  now?: () => number;
}

/**
 * Presence subscriptions of this node's connections (docs/protocol.md §3.5, §3.6).
 *
 * A device that connects or leaves (`changed`) stamps the account's last-seen time and
 * publishes a `chat.presence` record keyed by the account. Every gateway reads that topic in
 * a group of its own (`handle`) and, if some of its connections are subscribed to the
 * account, reads the account's current state (presence entries, last seen, hidden) and pushes
 * `presence` to each subscriber whose view changed. Reading the state, rather than carrying
 * it in the record, makes the order of the records irrelevant: the last one handled always
 * leaves the latest state. Subscriptions live in memory and end with their connection.
 *
 * Visibility is not read per push. Each subscription keeps the one relation that made the
 * account visible (its ground: the friendship, else a common group). When `chat.events` says
 * a relation's membership changed (unfriend, block, leave, removal, dissolution, account
 * deletion: `relationsChanged`), the subscriptions grounded on it are checked again in one
 * read; those still visible take their new ground, the others end with a last `presence`
 * push showing the account offline with no last seen. A change that arrives while a
 * subscribe or a check is reading makes it read again if its result rests on that relation.
 */
export class PresenceWatch {
  /** account id → the local connections subscribed to it. */
  private readonly watchers = new Map<number, Set<Connection>>();
  /** relation id → the local subscriptions it grounds: connection → watched account ids. */
  private readonly grounded = new Map<number, Map<Connection, Set<number>>>();
  /** connection → watched account id → the relation grounding that subscription. */
  private readonly groundOf = new Map<Connection, Map<number, number>>();
  /** One set per visibility read under way: the relations that changed meanwhile. */
  private readonly reading = new Set<Set<number>>();

  constructor(private readonly deps: PresenceWatchDeps) {}

  /**
   * Subscribes `conn` to `accountIds` and returns their current state. All or nothing: if
   * any of them is neither the viewer, a friend nor a member of a group of the viewer, the
   * request is refused with 2009 naming them, and nothing is subscribed.
   */
  async subscribe(
    conn: Connection,
    viewerId: number,
    accountIds: number[],
  ): Promise<{ presences: PresenceView[] }> {
    const ids = [...new Set(accountIds)];
    const held = conn.presence?.size ?? 0;
    const added = ids.filter((id) => !conn.presence?.has(id)).length;
    if (held + added > PRESENCE_SUBSCRIPTIONS_MAX) {
      throw new InvalidInputError(
        `account_ids: a connection may watch at most ${PRESENCE_SUBSCRIPTIONS_MAX} accounts (${held} already)`,
      );
    }
    const pairs = ids.map((accountId) => ({ viewerId, accountId }));
    return this.tracking(async (changed) => {
      let grounds: Map<number, PresenceGround>;
      let facts: PresenceFacts[];
      for (let read = 1; ; read++) {
        changed.clear();
        grounds = new Map(
          (await this.deps.store.presenceGrounds(pairs)).map((g) => [g.accountId, g]),
        );
        const refused = ids.filter((id) => !grounds.has(id));
        if (refused.length > 0) {
          throw new PermissionDeniedError(
            `presence not visible: ${refused.slice(0, 10).join(', ')}${refused.length > 10 ? ', …' : ''} (neither friends nor fellow group members)`,
          );
        }
        facts = await this.facts(ids, new Map(ids.map((id) => [id, grounds.get(id)!.hidden])));
        if (!conn.isOpen) return { presences: [] };
        if (read >= GROUND_READS_MAX || !rests(grounds.values(), changed)) break;
      }
      conn.presence ??= new Map();
      const presences = facts.map((f) => {
        const view = viewPresence(f, viewerId);
        conn.presence?.set(f.accountId, viewKey(view));
        let set = this.watchers.get(f.accountId);
        if (!set) this.watchers.set(f.accountId, (set = new Set()));
        set.add(conn);
        this.ground(conn, f.accountId, grounds.get(f.accountId)!.relationId);
        return view;
      });
      return { presences };
    });
  }

  /** Ends `conn`'s subscriptions to `accountIds` (unknown ones are ignored). */
  unsubscribe(conn: Connection, accountIds: number[]): { watching: number } {
    for (const id of accountIds) this.drop(conn, id);
    return { watching: conn.presence?.size ?? 0 };
  }

  /** The connection closed: all its subscriptions end. */
  forget(conn: Connection): void {
    if (!conn.presence) return;
    for (const id of [...conn.presence.keys()]) this.drop(conn, id);
    conn.presence = undefined;
    this.groundOf.delete(conn);
  }

  /**
   * The membership of these relations changed (`effects.membershipChanged` of
   * `chat.events`, read by every gateway): the subscriptions they ground are checked again.
   * Those no longer visible end, each with a last push `presence { account_id, online:
   * false, last_seen: null }` so the watcher stops showing the account's state. A failed
   * read throws, so the event is handled again.
   */
  async relationsChanged(relationIds: number[]): Promise<void> {
    for (const changed of this.reading) for (const id of relationIds) changed.add(id);
    const subs: { conn: Connection; viewerId: number; accountId: number }[] = [];
    for (const relationId of new Set(relationIds)) {
      for (const [conn, accountIds] of this.grounded.get(relationId) ?? []) {
        if (conn.accountId === null) continue;
        for (const accountId of accountIds)
          subs.push({ conn, viewerId: conn.accountId, accountId });
      }
    }
    for (let i = 0; i < subs.length; i += RECHECK_CHUNK) {
      await this.recheck(subs.slice(i, i + RECHECK_CHUNK));
    }
  }

  /** Local subscriptions grounded on the relation (for tests). */
  groundedOn(relationId: number): number {
    let n = 0;
    for (const ids of this.grounded.get(relationId)?.values() ?? []) n += ids.size;
    return n;
  }

  /** Hides or shows the account's presence, then tells the subscribers. */
  async setHidden(accountId: number, hidden: boolean): Promise<{ hidden: boolean }> {
    if (!(await this.deps.store.setPresenceHidden(accountId, hidden))) {
      throw new AppError(ErrorCode.AccountNotFound);
    }
    await this.publish(accountId);
    return { hidden };
  }

  /**
   * A device of the account connected or left (after the presence store has it): stamps the
   * last-seen time and tells every gateway. Best effort: a failure is logged.
   */
  async changed(accountId: number): Promise<void> {
    const now = (this.deps.now ?? Date.now)();
    try {
      await this.deps.cache.set(ENTRY_KEYS.presenceLastSeen(accountId), now, LAST_SEEN_TTL_MS);
      await this.publish(accountId);
    } catch (err) {
      this.deps.log.warn({ err, accountId }, 'presence change not announced');
    }
  }

  /**
   * A gateway node died and its entries were removed (its sweep by this node, or its own
   * restart under the same id): each of `accountIds` that has no live connection left gets
   * what a last disconnect gives, its last-seen time stamped `atMs` (when the death was
   * found) and a `chat.presence` record. Accounts still connected elsewhere are left alone.
   * Best effort: a failure is logged.
   */
  async gone(accountIds: number[], atMs: number): Promise<void> {
    const { presence, cache, log } = this.deps;
    for (let i = 0; i < accountIds.length; i += ANNOUNCE_CHUNK) {
      const chunk = accountIds.slice(i, i + ANNOUNCE_CHUNK);
      try {
        const online = await presence.lookup(chunk);
        const offline = chunk.filter((id) => (online.get(id)?.length ?? 0) === 0);
        await Promise.all(
          offline.map((id) => cache.set(ENTRY_KEYS.presenceLastSeen(id), atMs, LAST_SEEN_TTL_MS)),
        );
        await this.publishAll(offline);
      } catch (err) {
        log.warn({ err, accounts: chunk.length }, 'presence of a dead node not announced');
      }
    }
  }

  /**
   * This node announced its connections again after its heartbeat lapsed (a sweep of
   * another node may have announced them offline meanwhile): a `chat.presence` record per
   * account, so subscribers see them online again. No last-seen stamp: nobody connected or
   * left. Best effort: a failure is logged.
   */
  async back(accountIds: number[]): Promise<void> {
    for (let i = 0; i < accountIds.length; i += ANNOUNCE_CHUNK) {
      try {
        await this.publishAll(accountIds.slice(i, i + ANNOUNCE_CHUNK));
      } catch (err) {
        this.deps.log.warn({ err }, 'presence announced again, not published');
      }
    }
  }

  /** Records of `chat.presence`: push the changed state to this node's subscribers. */
  async handle(records: PresenceChangedRecord[]): Promise<void> {
    const ids = [...new Set(records.map((r) => r.account_id))].filter((id) =>
      this.watchers.has(id),
    );
    if (ids.length === 0) return;
    const hidden = await this.deps.store.presenceHidden(ids);
    for (const facts of await this.facts(ids, hidden)) {
      for (const conn of [...(this.watchers.get(facts.accountId) ?? [])]) {
        if (conn.accountId === null || !conn.presence) continue;
        const view = viewPresence(facts, conn.accountId);
        const key = viewKey(view);
        if (conn.presence.get(facts.accountId) === key) continue;
        conn.presence.set(facts.accountId, key);
        conn.send(pushText(PUSH_EVENTS.presence, view));
      }
    }
  }

  /** Accounts with at least one local subscriber (for tests and metrics). */
  get watchedAccounts(): number {
    return this.watchers.size;
  }

  private async publish(accountId: number): Promise<void> {
    const record: PresenceChangedRecord = { account_id: accountId };
    await this.deps.bus.publish(TOPICS.presence, String(accountId), JSON.stringify(record));
  }

  private async publishAll(accountIds: number[]): Promise<void> {
    if (accountIds.length === 0) return;
    await this.deps.bus.publishMany(
      accountIds.map((id) => {
        const record: PresenceChangedRecord = { account_id: id };
        return { topic: TOPICS.presence, key: String(id), value: JSON.stringify(record) };
      }),
    );
  }

  private async facts(ids: number[], hidden: Map<number, boolean>): Promise<PresenceFacts[]> {
    const [online, seen] = await Promise.all([
      this.deps.presence.lookup(ids),
      Promise.all(ids.map((id) => this.deps.cache.get<number>(ENTRY_KEYS.presenceLastSeen(id)))),
    ]);
    return ids.map((accountId, i) => ({
      accountId,
      connections: online.get(accountId)?.length ?? 0,
      lastSeenMs: typeof seen[i] === 'number' ? seen[i] : undefined,
      hidden: hidden.get(accountId) ?? false,
    }));
  }

  private async recheck(
    subs: { conn: Connection; viewerId: number; accountId: number }[],
  ): Promise<void> {
    const key = (viewerId: number, accountId: number) => `${viewerId}:${accountId}`;
    const pairs = new Map<string, PresencePair>();
    for (const { viewerId, accountId } of subs) {
      pairs.set(key(viewerId, accountId), { viewerId, accountId });
    }
    await this.tracking(async (changed) => {
      let grounds: Map<string, PresenceGround>;
      for (let read = 1; ; read++) {
        changed.clear();
        grounds = new Map(
          (await this.deps.store.presenceGrounds([...pairs.values()])).map((g) => [
            key(g.viewerId, g.accountId),
            g,
          ]),
        );
        if (read >= GROUND_READS_MAX || !rests(grounds.values(), changed)) break;
      }
      for (const { conn, viewerId, accountId } of subs) {
        // Unsubscribed or closed meanwhile: nothing to keep or end.
        if (conn.accountId !== viewerId || !conn.presence?.has(accountId)) continue;
        const ground = grounds.get(key(viewerId, accountId));
        if (ground) {
          this.ground(conn, accountId, ground.relationId);
          continue;
        }
        this.drop(conn, accountId);
        const ended: PresenceView = { account_id: accountId, online: false, last_seen: null };
        conn.send(pushText(PUSH_EVENTS.presence, ended));
      }
    });
  }

  /** Runs a visibility read, collecting the relations that change while it is under way. */
  private async tracking<T>(read: (changed: Set<number>) => Promise<T>): Promise<T> {
    const changed = new Set<number>();
    this.reading.add(changed);
    try {
      return await read(changed);
    } finally {
      this.reading.delete(changed);
    }
  }

  /**
   * Files `conn`'s subscription to `accountId` under the relation that grounds it; one to
   * the viewer itself (no relation) is filed nowhere, never to be checked again.
   */
  private ground(conn: Connection, accountId: number, relationId: number | null): void {
    let mine = this.groundOf.get(conn);
    if (relationId === null) {
      const before = mine?.get(accountId);
      if (before !== undefined) this.unground(conn, accountId, before);
      mine?.delete(accountId);
      return;
    }
    if (!mine) this.groundOf.set(conn, (mine = new Map()));
    const before = mine.get(accountId);
    if (before === relationId) return;
    if (before !== undefined) this.unground(conn, accountId, before);
    mine.set(accountId, relationId);
    let subs = this.grounded.get(relationId);
    if (!subs) this.grounded.set(relationId, (subs = new Map()));
    let ids = subs.get(conn);
    if (!ids) subs.set(conn, (ids = new Set()));
    ids.add(accountId);
  }

  private unground(conn: Connection, accountId: number, relationId: number): void {
    const subs = this.grounded.get(relationId);
    const ids = subs?.get(conn);
    if (!subs || !ids) return;
    ids.delete(accountId);
    if (ids.size === 0) subs.delete(conn);
    if (subs.size === 0) this.grounded.delete(relationId);
  }

  private drop(conn: Connection, accountId: number): void {
    conn.presence?.delete(accountId);
    const mine = this.groundOf.get(conn);
    const relationId = mine?.get(accountId);
    if (relationId !== undefined) {
      mine?.delete(accountId);
      this.unground(conn, accountId, relationId);
    }
    const set = this.watchers.get(accountId);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) this.watchers.delete(accountId);
  }
}

/** Whether any of the grounds is one of the relations that changed during their read. */
function rests(grounds: Iterable<PresenceGround>, changed: Set<number>): boolean {
  if (changed.size === 0) return false;
  for (const g of grounds) if (g.relationId !== null && changed.has(g.relationId)) return true;
  return false;
}
