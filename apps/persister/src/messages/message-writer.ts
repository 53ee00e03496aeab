import type { Bus, BusRecord } from '@chat/bus';
import { newMessageRow, type MessageStoreRepository, type StoredMessage } from '@chat/db';
import type { Logger } from '@chat/logger';
import { GroupCommit } from '@chat/runtime';
import {
  TOPICS,
  messageRecordSchema,
  storedRecord,
  type MessageRecord,
  type StoredRecord,
} from '@chat/protocol';
import type { DeadLetters, ReadValue } from '@chat/runtime';

export interface MessageWriterDeps {
  store: Pick<MessageStoreRepository, 'store'>;
  bus: Pick<Bus, 'publishMany'>;
  deadLetters: DeadLetters;
  log: Logger;
}

/**
 * The `chat.stored` record of a stored message, made by the protocol's `storedRecord`
 * beside `storedMsgInfo`, which builds the push from it with the builder history uses.
 */
export function toStoredRecord(message: MessageRecord, stored: StoredMessage): StoredRecord {
  return storedRecord(message, stored.seq, stored.rly, stored.mentions);
}

/**
 * Handles `chat.messages` batches (docs/architecture.md, persister): one idempotent multi-row
 * insert with the per-relation numbers, then the `StoredRecord`s to `chat.stored`, and only
 * then does the batch resolve so its offsets are committed.
 *
 * Redelivery rule: a `StoredRecord` is published for every record of the batch whose row
 * exists once the transaction commits, whether this batch inserted it or an earlier
 * delivery did. A process that died between the commit and the publish therefore publishes
 * on redelivery what it never published, so no stored message goes unannounced; the cost is
 * that a plain redelivery (died after publishing, before committing offsets) publishes the
 * same records again, with the same numbers. The notifier drops those by number (it keeps
 * the last number it pushed per relation), so pushes stay at most once. `chat.stored` holds
 * a relation's records in number order apart from such repeats, and each before the batch's
 * offsets commit, so no push announces a message that history cannot return yet.
 *
 * Every record with a new id is stored, whatever its `client_msg_id`: the gateway acked it,
 * and it alone decides what is a resend (docs/send-msg.md). A key already in the table is
 * a reuse after the dedup window, or a resend the gateway could not recognise (it lost its
 * Redis entries before the original was stored): either way the sender was given this id.
 *
 * Records that cannot be read, and rows the database refuses (their relation, file or
 * sender is gone; a value the edge should have refused), go to `chat.dead-letter`
 * (`DeadLetters`) before the batch resolves, so they cannot block the partition and are
 * never lost silently; the other records of the batch are stored as usual.
 */
export class MessageWriter {
  private readonly commits = new GroupCommit<ReadValue<MessageRecord>>((messages, batches) =>
    this.write(messages, batches),
  );

  constructor(private readonly deps: MessageWriterDeps) {}

  /**
   * Group commit (`GroupCommit`): the batches of several partitions handed over while a
   * transaction runs are stored together, in one transaction and one publish. Unreadable
   * records are on the dead-letter topic before the batch's messages join the group.
   */
  async handle(records: BusRecord[]): Promise<void> {
    const { values, unreadable } = this.deps.deadLetters.read(records, messageRecordSchema);
    await this.deps.deadLetters.send(unreadable);
    await this.commits.add(values);
  }

  private async write(read: ReadValue<MessageRecord>[], batches: number): Promise<void> {
    const startedAt = Date.now();
    const { log, deadLetters } = this.deps;
    const messages = read.map((r) => r.value);
    const result = await this.deps.store.store(messages.map(newMessageRow));
    const storeMs = Date.now() - startedAt;
    const sourceOf = new Map(read.map((r) => [r.value.id, r.record]));
    const refused = result.rejected.map((r) =>
      deadLetters.refused(sourceOf.get(r.item.id) as BusRecord, r, {
        msgId: r.item.id,
        relationId: r.item.relationId,
      }),
    );
    const byId = new Map(messages.map((m) => [m.id, m]));
    const stored = result.stored.map((s) => toStoredRecord(byId.get(s.row.id) as MessageRecord, s));
    await this.deps.bus.publishMany([
      ...stored.map((s) => ({
        topic: TOPICS.stored,
        key: String(s.message.relation_id),
        value: JSON.stringify(s),
      })),
      ...deadLetters.outgoing(refused),
    ]);
    deadLetters.published(refused);
    if (log.isLevelEnabled('debug')) {
      log.debug(
        {
          messages: messages.length,
          batches,
          ms: Date.now() - startedAt,
          storeMs,
          inserted: result.stored.filter((s) => s.inserted).length,
          republished: result.stored.filter((s) => !s.inserted).length,
          rejected: result.rejected.length,
        },
        'message batch stored',
      );
    }
  }
}
