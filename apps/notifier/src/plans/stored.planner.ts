import type { BusRecord } from '@chat/bus';
import type { ReceiverRepository } from '@chat/db';
import type { Logger } from '@chat/logger';
import {
  PUSH_EVENTS,
  storedMsgInfo,
  storedRecordSchema,
  type PushMessageJob,
  type StoredRecord,
} from '@chat/protocol';
import { markKeys, type PushMarks } from '../push-marks';
import type { PlannedPush } from '@chat/domain';
import { readRecords } from '@chat/runtime';
import type { Plan, Planner } from './plan';

export interface StoredPlannerDeps {
  receivers: Pick<ReceiverRepository, 'membersOf'>;
  marks: PushMarks;
  log: Logger;
}

/**
 * `chat.stored` → `send_msg {msg_info}` to every member of the relation (docs/protocol.md §4),
 * except the connection that sent it over WebSocket (§3.2); the sender's other devices
 * get it. The members the record mentions get a copy with `mentioned_me` true. Members are read once per batch, from `setting`.
 *
 * A relation's records arrive in `seq` order (one partition, published in order by the
 * persister), apart from repeats of records already published. So a record whose `seq` is
 * not above the highest one pushed for its relation is a repeat and is skipped.
 */
export class StoredPlanner implements Planner {
  constructor(private readonly deps: StoredPlannerDeps) {}

  async plan(records: BusRecord[]): Promise<Plan> {
    const { values: items, unreadable } = readRecords(records, storedRecordSchema);
    const keys = items.map(({ value }) => markKeys.stored(value.message.relation_id));
    const previous = await this.deps.marks.read(keys);
    const next = new Map(previous);
    const fresh = items.filter(({ value }, i) => {
      if (value.seq <= (next.get(keys[i]) ?? 0)) return false;
      next.set(keys[i], value.seq);
      return true;
    });
    const members = await this.deps.receivers.membersOf([
      ...new Set(fresh.map(({ value }) => value.message.relation_id)),
    ]);
    // `mentioned_me` is per viewer: the mentioned members get their own copy.
    const pushes: PlannedPush[] = fresh.flatMap(({ record, value }) => {
      const to = members.get(value.message.relation_id) ?? [];
      const mentioned = new Set(value.mentions ?? []);
      const push = (accounts: number[], mentionedMe: boolean): PlannedPush => ({
        key: record.key,
        frame: {
          event: PUSH_EVENTS.sendMsg,
          data: { msg_info: storedMsgInfo(value, mentionedMe) },
        },
        to: accounts,
        excludeConn: value.message.origin?.conn,
        source: record,
      });
      if (mentioned.size === 0) return [push(to, false)];
      const rest = to.filter((a) => !mentioned.has(a));
      const them = to.filter((a) => mentioned.has(a));
      return [push(rest, false), ...(them.length > 0 ? [push(them, true)] : [])];
    });
    // Messages people write notify devices; system messages (joins, renames) do not.
    const notices = fresh.flatMap(({ value }) =>
      value.message.notify_type === 'common'
        ? [{ to: members.get(value.message.relation_id) ?? [], job: noticeOf(value) }]
        : [],
    );
    return {
      pushes,
      notices,
      mark: () => this.deps.marks.raise(previous, next),
      repeats: items.length - fresh.length,
      unreadable,
    };
  }
}

/** Longest preview a notification job carries; each provider's payload has room for it. */
const PREVIEW_CHARS = 200;

/** The device notification of a stored message, for whoever of its members is offline. */
function noticeOf(value: StoredRecord): Omit<PushMessageJob, 'accounts'> {
  const m = value.message;
  return {
    kind: 'message',
    relation_id: m.relation_id,
    msg_id: m.id,
    seq: value.seq,
    sender_id: m.account_id,
    msg_type: m.msg_type,
    preview: [...m.msg_content].slice(0, PREVIEW_CHARS).join(''),
    // As the persister recorded them: members only, `@all` expanded, never the sender.
    mentioned: value.mentions ?? [],
  };
}
