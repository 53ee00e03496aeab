import type { Bus } from '@chat/bus';
import type { MembershipCache } from '@chat/cache';
import { snowflakeTime } from '@chat/ids';
import {
  InvalidInputError,
  PermissionDeniedError,
  TOPICS,
  type ReadMsgData,
  type ReadRecord,
} from '@chat/protocol';
import type { Connection } from '../sockets/connection';
import type { GatewayStore } from '../store/gateway-store';
import { Deferred } from './deferred';

/** docs/protocol.md §3.3: an id whose embedded time is further ahead than this is refused. */
const MAX_FUTURE_MS = 5000;

export interface ReadMessageDeps {
  bus: Pick<Bus, 'publish'>;
  membership: MembershipCache;
  store: Pick<GatewayStore, 'members' | 'readCursor'>;
  nodeId: string;
}

/**
 * `read_msg` (docs/protocol.md §3.3): the cursor moves to max(msg_ids), never backwards. The ids
 * are not looked up (they may still be on their way to storage). The record goes to
 * `chat.reads` keyed by relation; the persister applies it with GREATEST, so the order in
 * which reads arrive does not matter, and the notifier pushes when the cursor moved.
 */
export class ReadMessageHandler {
  constructor(private readonly deps: ReadMessageDeps) {}

  async handle(
    conn: Connection,
    accountId: number,
    data: ReadMsgData,
  ): Promise<Deferred | { last_read_msg_id: number }> {
    const limit = Date.now() + MAX_FUTURE_MS;
    const future = data.msg_ids.find((id) => snowflakeTime(id).getTime() > limit);
    if (future !== undefined) {
      throw new InvalidInputError(
        `msg_ids: ${future} is not a message id (its time is in the future)`,
      );
    }
    const { membership, store } = this.deps;
    if (!(await membership.isMember(data.relation_id, accountId, (r) => store.members(r)))) {
      throw new PermissionDeniedError('not a member of this relation');
    }

    const current = await store.readCursor(accountId, data.relation_id);
    const requested = Math.max(...data.msg_ids);
    // The cursor would not move: same reply, nothing to store and nothing to push.
    if (requested <= current) return { last_read_msg_id: current };

    const record: ReadRecord = {
      relation_id: data.relation_id,
      reader_id: accountId,
      msg_ids: data.msg_ids,
      last_read_msg_id: requested,
      previous_read_msg_id: current,
      origin: { node: this.deps.nodeId, conn: conn.connId },
    };
    const published = this.deps.bus.publish(
      TOPICS.reads,
      String(record.relation_id),
      JSON.stringify(record),
    );
    return new Deferred(published.then(() => ({ last_read_msg_id: requested })));
  }
}
