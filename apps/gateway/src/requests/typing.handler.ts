import type { Bus } from '@chat/bus';
import type { MembershipCache, Presence } from '@chat/cache';
import { route } from '@chat/domain';
import { PermissionDeniedError, PUSH_EVENTS, type TypingData } from '@chat/protocol';
import { pushText } from '../protocol/frames';
import type { Connection } from '../sockets/connection';
import type { LocalSockets } from '../sockets/local-sockets';
import type { GatewayStore } from '../store/gateway-store';
import { TypingLimit } from './typing-limit';

export interface TypingDeps {
  bus: Pick<Bus, 'publishMany'>;
  membership: MembershipCache;
  store: Pick<GatewayStore, 'members'>;
  presence: Pick<Presence, 'lookup'>;
  sockets: LocalSockets;
  nodeId: string;
  /** `TYPING_MIN_INTERVAL_MS` unless a test says otherwise. */
  intervalMs?: number;
  now?: () => number;
}

/**
 * `typing` (docs/protocol.md §3.4): the sender must be a member of the conversation; the push
 * `typing {relation_id, account_id, state}` goes to every connection of the other members,
 * written here for this node's sockets and sent straight to the delivery topic of each other
 * node that holds one (the pushes' one router, `route`). Nothing is stored and nothing goes
 * through the persister or the notifier: a typing indicator that is lost is replaced by the
 * next refresh. The sender's own other devices are not told.
 */
export class TypingHandler {
  constructor(private readonly deps: TypingDeps) {}

  async handle(
    conn: Connection,
    accountId: number,
    data: TypingData,
  ): Promise<{ forwarded: boolean }> {
    const { membership, store, presence, sockets, bus, nodeId } = this.deps;
    const members = await membership.members(data.relation_id, (r) => store.members(r));
    if (!members.includes(accountId)) {
      throw new PermissionDeniedError('not a member of this relation');
    }
    conn.typing ??= new TypingLimit(this.deps.intervalMs);
    const now = (this.deps.now ?? Date.now)();
    if (!conn.typing.admit(data.relation_id, data.state, now)) return { forwarded: false };

    const others = members.filter((id) => id !== accountId);
    if (others.length === 0) return { forwarded: true };
    const frame = {
      event: PUSH_EVENTS.typing,
      data: { relation_id: data.relation_id, account_id: accountId, state: data.state },
    };
    const text = pushText(frame.event, frame.data);
    for (const other of others) for (const c of sockets.ofAccount(other)) c.send(text);

    const online = await presence.lookup(others);
    const remote = new Map(
      [...online].map(([id, entries]) => [id, entries.filter((e) => e.nodeId !== nodeId)]),
    );
    const records = route([{ key: String(data.relation_id), frame, to: others }], remote);
    if (records.length > 0) await bus.publishMany(records);
    return { forwarded: true };
  }
}
