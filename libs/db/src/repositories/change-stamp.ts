import type { EntityManager } from '@mikro-orm/postgresql';
import { bigintArray, rows } from './sql';

/**
 * Stamps a change of messages of one relation (docs/data-model.md §2.15): the relation's
 * change counter moves on by one and every message in `ids` takes the new number as its
 * `change_seq`. Called in the transaction of the change, after the statements that changed
 * (and so locked) those message rows: the counter row is the LAST lock every change takes
 * (message rows first, then `relation_change`), so no two changes wait for each other in
 * a cycle, and the persister, which locks `relation` and then the messages it replies to,
 * never meets the counter at all.
 *
 * Counter order is commit order, per relation: the number is taken by updating the
 * counter's row, which stays locked until the transaction ends, so the change numbered
 * N + 1 cannot take its number before the change numbered N has committed (or rolled
 * back, leaving N unused and taken again). Hence whoever reads a committed `last_change`
 * L, then reads messages, sees every change numbered ≤ L; a change that commits later has
 * a number > L. Sync relies on this (`PgMessageQueryRepository.syncRelation`).
 *
 * One statement: the CTE's upsert runs exactly once; the message rows it updates are
 * already locked by this transaction, so the order of the two inside the statement does
 * not matter. Returns the number.
 */
export async function stampChange(
  em: EntityManager,
  relationId: number,
  ids: number[],
): Promise<number> {
  const [r] = await rows<{ change_seq: string }>(
    em,
    `with counter as (
       insert into relation_change (relation_id, last_change) values (?, 1)
       on conflict (relation_id) do update set last_change = relation_change.last_change + 1
       returning last_change)
     update message set change_seq = (select last_change from counter)
      where id = any(?::bigint[]) and relation_id = ?
      returning change_seq`,
    [relationId, bigintArray(ids), relationId],
  );
  return r ? Number(r.change_seq) : 0;
}
