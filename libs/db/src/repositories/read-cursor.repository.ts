import type { EntityManager } from '@mikro-orm/postgresql';
import { isolateRejected, type Rejected } from './isolate-rejected';
import { rows, unexpected } from './sql';

/** A reader's cursor to advance (a `read_msg` request, docs/protocol.md §3.3). */
export interface CursorAdvance {
  accountId: number;
  relationId: number;
  lastReadMsgId: number;
}

export interface AdvanceResult {
  /** Cursors that moved forward, with their new value (one per account and relation). */
  moved: CursorAdvance[];
  /** Requests the database refused (their setting vanished while the batch ran). */
  rejected: Rejected<CursorAdvance>[];
}

/**
 * One upsert for the whole batch: the requests of one (account, relation) collapse to their
 * largest id, requests without a setting row (the reader left) are dropped by the join
 * instead of failing the foreign key, and a cursor only moves forward (docs/data-model.md §2.5:
 * `GREATEST(current, max(ids))`), so replays and out-of-order batches change nothing.
 */
const ADVANCE = `
with req as (
  select u.account_id, u.relation_id, max(u.last_read_msg_id) as last_read_msg_id
  from unnest(?::bigint[], ?::bigint[], ?::bigint[]) as u(account_id, relation_id, last_read_msg_id)
  group by u.account_id, u.relation_id
)
insert into read_cursor as c (account_id, relation_id, last_read_msg_id, update_at)
select req.account_id, req.relation_id, req.last_read_msg_id, now()
from req
join setting s on s.account_id = req.account_id and s.relation_id = req.relation_id
on conflict (account_id, relation_id) do update
  set last_read_msg_id = excluded.last_read_msg_id, update_at = excluded.update_at
  where excluded.last_read_msg_id > c.last_read_msg_id
returning c.account_id, c.relation_id, c.last_read_msg_id`;

const ids = (values: number[]) => `{${values.join(',')}}`;

/** Read cursors (docs/data-model.md §2.5), written in batches by the persister. */
export class ReadCursorRepository {
  constructor(private readonly root: EntityManager) {}

  /**
   * Moves each cursor to the largest requested id when that is further than where it is.
   * A request whose setting disappears during the statement (foreign key) is isolated and
   * reported; other errors are thrown as a (possibly retryable) `InfrastructureError`.
   */
  async advance(batch: CursorAdvance[]): Promise<AdvanceResult> {
    try {
      const { results, rejected } = await isolateRejected(batch, async (part) => {
        const moved = await rows<{
          account_id: string;
          relation_id: string;
          last_read_msg_id: string;
        }>(this.root.fork(), ADVANCE, [
          ids(part.map((r) => r.accountId)),
          ids(part.map((r) => r.relationId)),
          ids(part.map((r) => r.lastReadMsgId)),
        ]);
        return moved.map((r) => ({
          accountId: Number(r.account_id),
          relationId: Number(r.relation_id),
          lastReadMsgId: Number(r.last_read_msg_id),
        }));
      });
      return { moved: results, rejected };
    } catch (err) {
      unexpected('advancing read cursors', err);
    }
  }
}
