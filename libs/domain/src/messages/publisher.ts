import type { MessageRecord } from '@chat/protocol';

/**
 * Hands a new message to the pipeline (`chat.messages`): the persister stores it and
 * numbers it, the notifier pushes `send_msg`. Resolves once the bus holds the record, so a
 * request that answers after it never loses the message.
 */
export interface MessagePublisher {
  publish(record: MessageRecord): Promise<void>;
}

/** Snowflake ids for new messages (DATA.md §1). */
export interface IdGenerator {
  next(): number;
  /** The time an id encodes; a message's `create_at` must equal it (DATA.md §1). */
  timeOf(id: number): Date;
}
