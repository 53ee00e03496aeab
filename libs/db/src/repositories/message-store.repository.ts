import type { EntityManager } from '@mikro-orm/postgresql';
import type { MessageRecord } from '@chat/protocol';
import type { MsgType, NotifyType } from '../entities/message.entity';
import type { MsgExtend } from '../entities/msg-extend';
import { toTextArrayLiteral } from '../types/text-array.type';
import { isolateRejected, type Rejected } from './isolate-rejected';
import { bigintArray, boundCount, boundRows, unexpected } from './sql';

/** A message to store (docs/data-model.md §2.8), as the persister received it. */
export interface NewMessageRow {
  id: number;
  relationId: number;
  notifyType: NotifyType;
  msgType: MsgType;
  msgContent: string;
  msgExtend: MsgExtend | null;
  fileId: number | null;
  accountId: number | null;
  rlyMsgId: number | null;
  clientMsgId: string | null;
  /** Must equal the time encoded in `id` (the table checks it). */
  createAt: Date;
}

/** The row of a `chat.messages` record. Its search grams are written later, by the indexer. */
export function newMessageRow(m: MessageRecord): NewMessageRow {
  return {
    id: m.id,
    relationId: m.relation_id,
    notifyType: m.notify_type,
    msgType: m.msg_type,
    msgContent: m.msg_content,
    msgExtend: m.msg_extend,
    fileId: m.file_id,
    accountId: m.account_id,
    rlyMsgId: m.rly_msg_id,
    clientMsgId: m.client_msg_id,
    createAt: new Date(m.create_at),
  };
}

/** The replied-to message of the same relation, as it is when the reply is stored. */
export interface StoredReplyTarget {
  id: number;
  msgType: MsgType;
  msgContent: string;
  msgExtend: MsgExtend | null;
  isRevoke: boolean;
}

/** A message of the batch whose row exists after `store`, with its sequence number. */
export interface StoredMessage {
  row: NewMessageRow;
  seq: number;
  /** True when this call inserted the row; false when it was already there (a redelivery). */
  inserted: boolean;
  /** Null when not a reply, or when the replied-to message is not in this relation. */
  rly: StoredReplyTarget | null;
  /** The accounts recorded as mentioned (`message_mention`), ascending. */
  mentions: number[];
}

export interface StoreResult {
  /**
   * Every message of the batch that is stored now, in batch order: every one the database
   * did not refuse. A `client_msg_id` seen before does not stop a row: the gateway decides
   * which sends are resends (within `Gateway.SendDedupWindow`, docs/send-msg.md), and a
   * record that reaches the persister was acked, so it must be stored.
   */
  stored: StoredMessage[];
  /** Messages the database refused (their relation, file or sender is gone; a failed check). */
  rejected: Rejected<NewMessageRow>[];
}

interface ExistingRow {
  id: string;
  seq: string | null;
}

interface ReplyTargetRow {
  id: string;
  relation_id: string;
  msg_type: MsgType;
  msg_content: string;
  msg_extend: MsgExtend | null;
  is_revoke: boolean;
}

/**
 * The insert skipped a row that the check before it did not see coming (a row with the same
 * id committed meanwhile by another writer): the transaction is rolled back and run again,
 * which then finds that row. Rows of one relation are numbered under its lock, so this is
 * a guard rather than an expected path.
 */
class RaceLost extends Error {}

/** A text[] literal whose null elements stay SQL NULL (`toTextArrayLiteral` quotes every one). */
function nullableTextArray(values: (string | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : toTextArrayLiteral([v]).slice(1, -1))).join(',')}}`;
}

/**
 * Locks the counters of the batch's relations, in id order so two writers cannot deadlock:
 * whoever numbers a relation holds its row until commit, so the checks below cannot be
 * overtaken by another writer of the same relation (a member taking a partition over during
 * a rebalance).
 */
const LOCK_RELATIONS = `
select id, last_seq from relation where id = any(?::bigint[]) order by id for update`;

/** Rows of the batch already stored (a redelivered record), with their numbers. */
const EXISTING = `select id, seq from message where id = any(?::bigint[])`;

/**
 * One multi-row insert for the new rows, numbered already: each column travels as one array
 * literal, so the statement has the same 12 parameters for 1 or 1000 rows. Numbering before
 * inserting matters: an update of `seq` afterwards would write every row twice, and every
 * index entry twice with it. No search grams here: the indexer writes `message_search` a
 * moment later (`MessageSearchRepository`), since maintaining that GIN index in this
 * transaction was most of its time. `ON CONFLICT (id) DO NOTHING` stays as a guard; a row
 * it skips is a lost race (see `RaceLost`). Only the id conflicts: a `client_msg_id` is not
 * unique in the table (docs/send-msg.md).
 */
const INSERT = `
insert into message (id, relation_id, notify_type, msg_type, msg_content, msg_extend, file_id,
  account_id, rly_msg_id, client_msg_id, create_at, pin_time, seq)
select u.id, u.relation_id, u.notify_type, u.msg_type, u.msg_content, u.msg_extend::jsonb,
  u.file_id, u.account_id, u.rly_msg_id, u.client_msg_id, u.create_at, u.create_at, u.seq
from unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[],
  ?::bigint[], ?::bigint[], ?::text[], ?::timestamptz[], ?::bigint[]) with ordinality
  as u(id, relation_id, notify_type, msg_type, msg_content, msg_extend, file_id, account_id,
  rly_msg_id, client_msg_id, create_at, seq, ord)
order by u.ord
on conflict (id) do nothing`;

/** Moves each relation's counter to the last number handed out. */
const ADVANCE = `
update relation r set last_seq = c.last_seq
from unnest(?::bigint[], ?::bigint[]) as c(id, last_seq)
where r.id = c.id`;

/** The replied-to messages, read after the insert since a target may be in the batch. */
const REPLY_TARGETS = `
select id, relation_id, msg_type, msg_content, msg_extend, is_revoke
from message where id = any(?::bigint[])`;

/**
 * The mentions of the new rows (docs/features.md, Mentions): each `remind` entry, or every
 * member for `all` (account 0 below) when the sender leads the relation, kept only when the
 * account is a member and not the sender. Same transaction as the message: a mention is
 * stored before anything pushes it.
 */
const MENTION = `
insert into message_mention (message_id, account_id, relation_id)
select distinct u.message_id, s.account_id, u.relation_id
from unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
  as u(message_id, relation_id, account_id, sender)
join setting s on s.relation_id = u.relation_id
  and (s.account_id = u.account_id
       or (u.account_id = 0 and exists (select 1 from setting l where l.relation_id = u.relation_id
                                          and l.account_id = u.sender and l.is_leader)))
where s.account_id is distinct from u.sender
order by u.message_id, s.account_id
on conflict do nothing`;

/** The mentions of the batch's messages (new or redelivered). */
const MENTIONS_OF = `
select message_id, account_id from message_mention where message_id = any(?::bigint[])
order by message_id, account_id`;

/** Whether a message asks for mentions at all. */
const mentionsSomeone = (r: NewMessageRow): boolean =>
  r.accountId !== null &&
  !!r.msgExtend &&
  (r.msgExtend.all === true || r.msgExtend.remind.length > 0);

/**
 * Writes message batches for the persister (docs/architecture.md, persister; docs/data-model.md §2.8): an
 * idempotent multi-row insert and the per-relation sequence numbers, in one transaction.
 *
 * Numbering rule: within the transaction, every row of the batch that has no `seq` yet (the
 * rows just inserted) gets the next numbers of its relation's counter, in batch order, so a
 * relation's numbers follow its partition's order. A redelivered record finds its row
 * already numbered, so it consumes no number: the numbers of a relation stay 1, 2, 3, …
 * without gaps.
 */
export class MessageStoreRepository {
  constructor(private readonly root: EntityManager) {}

  /**
   * Stores the batch (records of one partition, in partition order). Rows the database
   * refuses are isolated and reported without failing the others (see `isolateRejected`:
   * the batch may then be committed in several transactions, in order). Other database
   * errors are thrown (an `InfrastructureError`, retryable when a retry can succeed) and
   * leave nothing of the failed transaction behind.
   */
  async store(batch: NewMessageRow[]): Promise<StoreResult> {
    const unique = [...new Map(batch.map((r) => [r.id, r])).values()];
    try {
      const { results, rejected } = await isolateRejected(unique, (part) => this.storePart(part));
      const byId = new Map(results.map((s) => [s.row.id, s]));
      const stored: StoredMessage[] = [];
      for (const row of unique) {
        const found = byId.get(row.id);
        if (found) stored.push(found);
      }
      return { stored, rejected };
    } catch (err) {
      unexpected('storing messages', err);
    }
  }

  private async storePart(part: NewMessageRow[]): Promise<StoredMessage[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.root.fork().transactional((em) => this.storeOnce(em, part));
      } catch (err) {
        if (!(err instanceof RaceLost) || attempt >= 3) throw err;
      }
    }
  }

  private async storeOnce(em: EntityManager, part: NewMessageRow[]): Promise<StoredMessage[]> {
    const counters = new Map(
      (
        await boundRows<{ id: string; last_seq: string }>(em, LOCK_RELATIONS, [
          bigintArray([...new Set(part.map((r) => r.relationId))]),
        ])
      ).map((r) => [Number(r.id), Number(r.last_seq)]),
    );
    const existing = new Map(
      (await boundRows<ExistingRow>(em, EXISTING, [bigintArray(part.map((r) => r.id))])).map(
        (r) => [Number(r.id), r.seq === null ? null : Number(r.seq)],
      ),
    );

    // New rows in batch order, numbered from their relation's counter. A row whose relation
    // is gone keeps no number and is left to the insert's foreign key to refuse.
    const fresh: { row: NewMessageRow; seq: number | null }[] = [];
    const seqs = new Map<number, number>();
    for (const row of part) {
      if (existing.has(row.id)) continue;
      const last = counters.get(row.relationId);
      const seq = last === undefined ? null : last + 1;
      if (seq !== null) {
        counters.set(row.relationId, seq);
        seqs.set(row.id, seq);
      }
      fresh.push({ row, seq });
    }

    if (fresh.length > 0) {
      const rs = fresh.map((f) => f.row);
      const inserted = await boundCount(em, INSERT, [
        bigintArray(rs.map((r) => r.id)),
        bigintArray(rs.map((r) => r.relationId)),
        toTextArrayLiteral(rs.map((r) => r.notifyType)),
        toTextArrayLiteral(rs.map((r) => r.msgType)),
        toTextArrayLiteral(rs.map((r) => r.msgContent)),
        nullableTextArray(rs.map((r) => (r.msgExtend ? JSON.stringify(r.msgExtend) : null))),
        bigintArray(rs.map((r) => r.fileId)),
        bigintArray(rs.map((r) => r.accountId)),
        bigintArray(rs.map((r) => r.rlyMsgId)),
        nullableTextArray(rs.map((r) => r.clientMsgId)),
        toTextArrayLiteral(rs.map((r) => r.createAt.toISOString())),
        bigintArray(fresh.map((f) => f.seq)),
      ]);
      if (inserted !== fresh.length) throw new RaceLost();
      const moved = [...new Set(fresh.map((f) => f.row.relationId))].filter((id) =>
        counters.has(id),
      );
      await boundRows(em, ADVANCE, [
        bigintArray(moved),
        bigintArray(moved.map((id) => counters.get(id) as number)),
      ]);
      const wanted: [number, number, number, number][] = [];
      for (const { row } of fresh) {
        if (!mentionsSomeone(row)) continue;
        const sender = row.accountId as number;
        if (row.msgExtend!.all) wanted.push([row.id, row.relationId, 0, sender]);
        for (const r of row.msgExtend!.remind) {
          wanted.push([row.id, row.relationId, r.account_id, sender]);
        }
      }
      if (wanted.length > 0) {
        await boundCount(
          em,
          MENTION,
          [0, 1, 2, 3].map((i) => bigintArray(wanted.map((w) => w[i]))),
        );
      }
    }

    const mentions = new Map<number, number[]>();
    const asking = part.filter(mentionsSomeone).map((r) => r.id);
    if (asking.length > 0) {
      for (const m of await boundRows<{ message_id: string; account_id: string }>(em, MENTIONS_OF, [
        bigintArray(asking),
      ])) {
        const list = mentions.get(Number(m.message_id)) ?? [];
        list.push(Number(m.account_id));
        mentions.set(Number(m.message_id), list);
      }
    }

    const rlyIds = [...new Set(part.map((r) => r.rlyMsgId).filter((id) => id !== null))];
    const targets = new Map(
      rlyIds.length === 0
        ? []
        : (await boundRows<ReplyTargetRow>(em, REPLY_TARGETS, [bigintArray(rlyIds)])).map((r) => [
            Number(r.id),
            r,
          ]),
    );
    const insertedIds = new Set(fresh.map((f) => f.row.id));
    const stored: StoredMessage[] = [];
    for (const row of part) {
      const seq = seqs.get(row.id) ?? existing.get(row.id);
      if (seq === undefined || seq === null) continue;
      const target = row.rlyMsgId === null ? undefined : targets.get(row.rlyMsgId);
      stored.push({
        row,
        seq,
        inserted: insertedIds.has(row.id),
        mentions: mentions.get(row.id) ?? [],
        // As history joins it: the replied-to message of the same relation only.
        rly:
          target && Number(target.relation_id) === row.relationId
            ? {
                id: Number(target.id),
                msgType: target.msg_type,
                msgContent: target.msg_content,
                msgExtend: target.msg_extend,
                isRevoke: target.is_revoke,
              }
            : null,
      });
    }
    return stored;
  }
}
