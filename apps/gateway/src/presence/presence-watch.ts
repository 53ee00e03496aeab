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
import { pushText } from '../protocol/frames';
import type { Connection } from '../sockets/connection';
import type { GatewayStore } from '../store/gateway-store';

/** How long a last-seen time is kept after the account's last connect or disconnect. */
export const LAST_SEEN_TTL_MS = 90 * 24 * 60 * 60 * 1000;

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
  bus: Pick<Bus, 'publish'>;
  store: Pick<GatewayStore, 'presenceVisible' | 'presenceHidden' | 'setPresenceHidden'>;
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
 */
export class PresenceWatch {
  /** account id → the local connections subscribed to it. */
  private readonly watchers = new Map<number, Set<Connection>>();

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
    const visible = await this.deps.store.presenceVisible(viewerId, ids);
    const refused = ids.filter((id) => !visible.has(id));
    if (refused.length > 0) {
      throw new PermissionDeniedError(
        `presence not visible: ${refused.slice(0, 10).join(', ')}${refused.length > 10 ? ', …' : ''} (neither friends nor fellow group members)`,
      );
    }
    const facts = await this.facts(ids, visible);
    if (!conn.isOpen) return { presences: [] };
    conn.presence ??= new Map();
    const presences = facts.map((f) => {
      const view = viewPresence(f, viewerId);
      conn.presence?.set(f.accountId, viewKey(view));
      let set = this.watchers.get(f.accountId);
      if (!set) this.watchers.set(f.accountId, (set = new Set()));
      set.add(conn);
      return view;
    });
    return { presences };
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

  private drop(conn: Connection, accountId: number): void {
    conn.presence?.delete(accountId);
    const set = this.watchers.get(accountId);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) this.watchers.delete(accountId);
  }
}
