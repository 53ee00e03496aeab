import type { EntityManager } from '@mikro-orm/postgresql';
import { rows, unexpected } from './sql';

/** A reader's cursor move to announce: messages with `fromId < id ≤ toId` became read. */
export interface ReadRange {
  relationId: number;
  readerId: number;
  fromId: number;
  toId: number;
}

/** One sender's messages that a cursor move made read, ascending. */
export interface SenderReads {
  accountId: number;
  msgIds: number[];
}

const ids = (values: number[]) => `{${values.join(',')}}`;

/**
 * For each range, the senders other than the reader of messages inside it, with at most
 * `?` of their most recent ids there. Uses the (relation_id, id) index of docs/data-model.md §2.8
 * ("cursor ranges for read_msg pushes"); system messages (no sender) never match.
 */
const NEWLY_READ = `
select q.ord, x.account_id, x.id
from unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) with ordinality
  as q(relation_id, reader_id, from_id, to_id, ord)
cross join lateral (
  select y.account_id, y.id from (
    select m.account_id, m.id,
      row_number() over (partition by m.account_id order by m.id desc) as rn
    from message m
    where m.relation_id = q.relation_id and m.id > q.from_id and m.id <= q.to_id
      and m.account_id is not null and m.account_id <> q.reader_id
  ) y
  where y.rn <= ?
) x
order by q.ord, x.account_id, x.id`;

/**
 * The queries that decide who hears about a change (docs/protocol.md §4, "→ receivers"), each
 * one statement for a whole batch of records.
 */
export class ReceiverRepository {
  constructor(private readonly root: EntityManager) {}

  /** Member account ids (ascending) of each relation asked for; an empty list when none. */
  async membersOf(relationIds: number[]): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>(relationIds.map((id) => [id, []]));
    if (relationIds.length === 0) return out;
    try {
      const found = await rows<{ relation_id: string; account_id: string }>(
        this.root.fork(),
        `select relation_id, account_id from setting
          where relation_id = any(?::bigint[]) order by relation_id, account_id`,
        [ids([...new Set(relationIds)])],
      );
      for (const r of found) out.get(Number(r.relation_id))?.push(Number(r.account_id));
      return out;
    } catch (err) {
      unexpected('loading members', err);
    }
  }

  /**
   * For each range, in the same order: the accounts other than the reader that sent
   * messages in it, each with its newly read message ids (at most `perSender`, the most
   * recent; docs/protocol.md §3.3).
   */
  async newlyReadBySender(ranges: ReadRange[], perSender: number): Promise<SenderReads[][]> {
    const out: SenderReads[][] = ranges.map(() => []);
    if (ranges.length === 0) return out;
    try {
      const found = await rows<{ ord: string; account_id: string; id: string }>(
        this.root.fork(),
        NEWLY_READ,
        [
          ids(ranges.map((r) => r.relationId)),
          ids(ranges.map((r) => r.readerId)),
          ids(ranges.map((r) => r.fromId)),
          ids(ranges.map((r) => r.toId)),
          perSender,
        ],
      );
      for (const r of found) {
        const senders = out[Number(r.ord) - 1];
        const accountId = Number(r.account_id);
        let last = senders[senders.length - 1];
        if (!last || last.accountId !== accountId) senders.push((last = { accountId, msgIds: [] }));
        last.msgIds.push(Number(r.id));
      }
      return out;
    } catch (err) {
      unexpected('finding the senders of read messages', err);
    }
  }
}
