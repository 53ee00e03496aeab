import type { MessageRecord } from '@chat/protocol';
import { iso } from '../views';

/** Snowflake ids for new messages (docs/data-model.md §1). */
export interface IdGenerator {
  next(): number;
  /** The time an id encodes; a message's `create_at` must equal it (docs/data-model.md §1). */
  timeOf(id: number): Date;
}

/**
 * A system message of docs/api.md §3.1: no sender, `create_at` the time in its id. Its id is
 * assigned here, once, and travels in the outbox record: a record the relay publishes twice
 * is the same message twice, which the persister stores once (idempotent on the id).
 */
export function systemMessage(ids: IdGenerator, relationId: number, text: string): MessageRecord {
  const id = ids.next();
  return {
    id,
    relation_id: relationId,
    notify_type: 'system',
    msg_type: 'text',
    msg_content: text,
    msg_extend: null,
    file_id: null,
    account_id: null,
    rly_msg_id: null,
    client_msg_id: null,
    create_at: iso(ids.timeOf(id)),
  };
}
