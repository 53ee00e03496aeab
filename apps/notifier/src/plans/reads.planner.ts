import type { BusRecord } from '@chat/bus';
import type { ReceiverRepository } from '@chat/db';
import type { Logger } from '@chat/logger';
import { PUSH_EVENTS, type ReadRecord, readRecordSchema } from '@chat/protocol';
import { markKeys, type PushMarks } from '../push-marks';
import type { PlannedPush } from '@chat/domain';
import { readRecords } from '@chat/runtime';
import type { Plan, Planner } from './plan';

/** docs/protocol.md §3.3: a sender hears of at most this many of its newly read messages. */
export const MAX_READ_IDS_PER_SENDER = 200;

export interface ReadsPlannerDeps {
  receivers: Pick<ReceiverRepository, 'membersOf' | 'newlyReadBySender'>;
  marks: PushMarks;
  log: Logger;
}

/**
 * `chat.reads` → `read_msg` (docs/protocol.md §3.3, §4; docs/pitfalls.md §2): when a reader's
 * cursor moved from `old` to `new`, each other member who sent messages with
 * `old < id ≤ new` gets its own newly read ids, and the reader's other connections get the
 * request's ids.
 *
 * `old` is the larger of the cursor the gateway saw (`previous_read_msg_id`) and the highest
 * cursor already announced for this reader: the gateway may have read the cursor before the
 * persister stored an earlier move, and a redelivered record must announce nothing again.
 * A record that does not move past both pushes nothing; neither does the read of an account
 * that is no longer a member (its cursor is not stored either).
 */
export class ReadsPlanner implements Planner {
  constructor(private readonly deps: ReadsPlannerDeps) {}

  async plan(records: BusRecord[]): Promise<Plan> {
    const { receivers, marks } = this.deps;
    const { values: items, unreadable } = readRecords(records, readRecordSchema);
    const keyOf = (r: ReadRecord) => markKeys.read(r.relation_id, r.reader_id);
    const previous = await marks.read(items.map(({ value }) => keyOf(value)));
    const next = new Map(previous);
    const moves: { record: BusRecord; read: ReadRecord; fromId: number }[] = [];
    for (const { record, value: read } of items) {
      const fromId = Math.max(read.previous_read_msg_id, next.get(keyOf(read)) ?? 0);
      if (read.last_read_msg_id <= fromId) continue;
      next.set(keyOf(read), read.last_read_msg_id);
      moves.push({ record, read, fromId });
    }

    const members = await receivers.membersOf([...new Set(moves.map((m) => m.read.relation_id))]);
    const isMember = (relationId: number, accountId: number) =>
      members.get(relationId)?.includes(accountId) ?? false;
    const current = moves.filter((m) => isMember(m.read.relation_id, m.read.reader_id));
    const senders = await receivers.newlyReadBySender(
      current.map((m) => ({
        relationId: m.read.relation_id,
        readerId: m.read.reader_id,
        fromId: m.fromId,
        toId: m.read.last_read_msg_id,
      })),
      MAX_READ_IDS_PER_SENDER,
    );

    const pushes: PlannedPush[] = [];
    current.forEach(({ record, read }, i) => {
      const { key } = record;
      const frame = (msgIds: number[]) => ({
        event: PUSH_EVENTS.readMsg,
        data: {
          relation_id: read.relation_id,
          reader_id: read.reader_id,
          msg_ids: msgIds,
          last_read_msg_id: read.last_read_msg_id,
        },
      });
      for (const sender of senders[i]) {
        if (!isMember(read.relation_id, sender.accountId)) continue;
        pushes.push({
          key,
          frame: frame(sender.msgIds),
          to: [sender.accountId],
          source: record,
        });
      }
      pushes.push({
        key,
        frame: frame(read.msg_ids),
        to: [read.reader_id],
        excludeConn: read.origin?.conn,
        source: record,
      });
    });
    return {
      pushes,
      mark: () => marks.raise(previous, next),
      repeats: items.length - moves.length,
      unreadable,
    };
  }
}
