import type { EntityManager } from '@mikro-orm/postgresql';
import type { MsgType, NotifyType } from '../entities/message.entity';
import type { MsgExtend } from '../entities/msg-extend';
import { toTextArrayLiteral } from '../types/text-array.type';
import { isolateRejected, type Rejected } from './isolate-rejected';
import { rows, unexpected } from './sql';

/** A message to store (DATA.md §2.8), as the persister received it. */
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
  /** `contentGrams(msgContent)` for a text message, `[]` for a file message (DATA.md §3). */
  searchGrams: string[];
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
}

export interface StoreResult {
  /** Every message of the batch that is stored now, in batch order. */
  stored: StoredMessage[];
  /**
   * Messages not stored because another message of the same account already has their
   * `client_msg_id` (the durable send dedup of DATA.md §2.8); they consumed no number.
   */
  duplicates: NewMessageRow[];
  /** Messages the database refused (their relation, file or sender is gone; a failed check). */
  rejected: Rejected<NewMessageRow>[];
}

interface ExistingRow {
  id: string;
  relation_id: string;
  seq: string | null;
  rly_id: string | null;
  rly_type: MsgType | null;
  rly_content: string | null;
  rly_extend: MsgExtend | null;
  rly_revoke: boolean | null;
}

/** `{1,NULL,3}`: a bigint[] literal (the numbers are safe integers). */
function bigintArray(values: (number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;
}

/** A text[] literal whose null elements stay SQL NULL (`toTextArrayLiteral` quotes every one). */
function nullableTextArray(values: (string | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : toTextArrayLiteral([v]).slice(1, -1))).join(',')}}`;
}

/**
 * One multi-row insert for the whole batch: each column travels as one array literal, so
 * the statement has the same 12 parameters for 1 or 1000 rows. `ON CONFLICT DO NOTHING`
 * covers the primary key (a redelivered record) and the unique (account_id,
 * client_msg_id) index (a resent message). `seq` stays null until numbered below.
 */
const INSERT = `
insert into message (id, relation_id, notify_type, msg_type, msg_content, msg_extend, file_id,
  account_id, rly_msg_id, client_msg_id, create_at, pin_time, search_grams)
select u.id, u.relation_id, u.notify_type, u.msg_type, u.msg_content, u.msg_extend::jsonb,
  u.file_id, u.account_id, u.rly_msg_id, u.client_msg_id, u.create_at, u.create_at,
  u.search_grams::text[]
from unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[],
  ?::bigint[], ?::bigint[], ?::text[], ?::timestamptz[], ?::text[]) with ordinality
  as u(id, relation_id, notify_type, msg_type, msg_content, msg_extend, file_id, account_id,
  rly_msg_id, client_msg_id, create_at, search_grams, ord)
order by u.ord
on conflict do nothing
returning id`;

/**
 * The batch's rows as they are now, locked so that two members numbering the same relation
 * during a rebalance take turns, with the replied-to message (same relation only, as
 * history joins it).
 */
const EXISTING = `
select m.id, m.relation_id, m.seq, r.id as rly_id, r.msg_type as rly_type,
  r.msg_content as rly_content, r.msg_extend as rly_extend, r.is_revoke as rly_revoke
from message m
left join message r on r.id = m.rly_msg_id and r.relation_id = m.relation_id
where m.id = any(?::bigint[])
for update of m`;

/** Reserves `n` numbers per relation; returns each relation's counter after the reservation. */
const RESERVE = `
update relation r set last_seq = r.last_seq + c.n
from unnest(?::bigint[], ?::bigint[]) as c(id, n)
where r.id = c.id
returning r.id, r.last_seq`;

const NUMBER = `
update message m set seq = u.seq
from unnest(?::bigint[], ?::bigint[]) as u(id, seq)
where m.id = u.id`;

/**
 * Writes message batches for the persister (ARCHITECTURE.md, persister; DATA.md §2.8): an
 * idempotent multi-row insert and the per-relation sequence numbers, in one transaction.
 *
 * Numbering rule: within the transaction, every row of the batch that has no `seq` yet (the
 * rows just inserted) gets the next numbers of its relation's counter, in batch order, so a
 * relation's numbers follow its partition's order. A redelivered record finds its row
 * already numbered and a resent `client_msg_id` inserts no row, so neither consumes a
 * number: the numbers of a relation stay 1, 2, 3, … without gaps.
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
      const duplicates: NewMessageRow[] = [];
      for (const row of unique) {
        const found = byId.get(row.id);
        if (found) stored.push(found);
        else if (!rejected.some((r) => r.item === row)) duplicates.push(row);
      }
      return { stored, duplicates, rejected };
    } catch (err) {
      unexpected('storing messages', err);
    }
  }

  private storePart(part: NewMessageRow[]): Promise<StoredMessage[]> {
    return this.root.fork().transactional(async (em) => {
      const inserted = await rows<{ id: string }>(em, INSERT, [
        bigintArray(part.map((r) => r.id)),
        bigintArray(part.map((r) => r.relationId)),
        toTextArrayLiteral(part.map((r) => r.notifyType)),
        toTextArrayLiteral(part.map((r) => r.msgType)),
        toTextArrayLiteral(part.map((r) => r.msgContent)),
        nullableTextArray(part.map((r) => (r.msgExtend ? JSON.stringify(r.msgExtend) : null))),
        bigintArray(part.map((r) => r.fileId)),
        bigintArray(part.map((r) => r.accountId)),
        bigintArray(part.map((r) => r.rlyMsgId)),
        nullableTextArray(part.map((r) => r.clientMsgId)),
        toTextArrayLiteral(part.map((r) => r.createAt.toISOString())),
        toTextArrayLiteral(part.map((r) => toTextArrayLiteral(r.searchGrams))),
      ]);
      const insertedIds = new Set(inserted.map((r) => Number(r.id)));
      const existing = new Map(
        (await rows<ExistingRow>(em, EXISTING, [bigintArray(part.map((r) => r.id))])).map((r) => [
          Number(r.id),
          r,
        ]),
      );

      // Rows still without a number, in batch order, counted per relation.
      const toNumber = part.filter((r) => existing.get(r.id)?.seq === null);
      const seqs = new Map<number, number>();
      if (toNumber.length > 0) {
        const counts = new Map<number, number>();
        for (const r of toNumber) counts.set(r.relationId, (counts.get(r.relationId) ?? 0) + 1);
        const reserved = await rows<{ id: string; last_seq: string }>(em, RESERVE, [
          bigintArray([...counts.keys()]),
          bigintArray([...counts.values()]),
        ]);
        // The next number to hand out per relation: first of the reserved block.
        const next = new Map(
          reserved.map((r) => [
            Number(r.id),
            Number(r.last_seq) - (counts.get(Number(r.id)) ?? 0) + 1,
          ]),
        );
        for (const r of toNumber) {
          const seq = next.get(r.relationId);
          // The insert's foreign key guarantees the relation row; its absence is a bug.
          if (seq === undefined) throw new Error(`relation ${r.relationId} has no counter`);
          seqs.set(r.id, seq);
          next.set(r.relationId, seq + 1);
        }
        await rows(em, NUMBER, [bigintArray([...seqs.keys()]), bigintArray([...seqs.values()])]);
      }

      const stored: StoredMessage[] = [];
      for (const row of part) {
        const found = existing.get(row.id);
        if (!found) continue;
        stored.push({
          row,
          seq: seqs.get(row.id) ?? Number(found.seq),
          inserted: insertedIds.has(row.id),
          rly:
            found.rly_id === null
              ? null
              : {
                  id: Number(found.rly_id),
                  msgType: found.rly_type as MsgType,
                  msgContent: found.rly_content as string,
                  msgExtend: found.rly_extend,
                  isRevoke: found.rly_revoke === true,
                },
        });
      }
      return stored;
    });
  }
}
