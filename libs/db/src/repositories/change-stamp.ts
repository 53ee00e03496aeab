import type { EntityManager } from '@mikro-orm/postgresql';
import { bigintArray, rows } from './sql';

/**
 * The change numbers of message changes (docs/data-model.md §2.16). Every change of stored
 * messages, in its own transaction:
 *
 * 1. locks the message rows it changes (`SELECT … FOR UPDATE` / `FOR NO KEY UPDATE`);
 * 2. takes the relation's next number (`nextChange`): the counter row is the LAST lock a
 *    change takes, so no two changes wait for each other in a cycle;
 * 3. writes each message row ONCE, the change and `change_seq` together.
 *
 * Why once: Postgres re-checks the foreign keys of a row that is updated again by the
 * transaction that wrote it (its `relation_id` takes a KEY SHARE lock on the relation's
 * row), and a top holds that row locked while it waits for message rows: a second update
 * for the stamp made a pin and a top of one conversation wait for each other (a test of
 * racing reactions, pins and tops ended in "deadlock detected").
 *
 * Counter order is commit order, per relation: the number is taken by updating the
 * counter's row, which stays locked until the transaction ends, so the change numbered
 * N + 1 cannot take its number before the change numbered N has committed (or rolled back,
 * leaving N unused and taken again). Hence whoever reads a committed `last_change` L, then
 * reads messages, sees every change numbered ≤ L; a change that commits later has a number
 * > L. Sync relies on this (`PgMessageQueryRepository.syncRelation`).
 */
export async function nextChange(em: EntityManager, relationId: number): Promise<number> {
  const [r] = await rows<{ last_change: string }>(
    em,
    `insert into relation_change (relation_id, last_change) values (?, 1)
     on conflict (relation_id) do update set last_change = relation_change.last_change + 1
     returning last_change`,
    [relationId],
  );
  return Number(r.last_change);
}

/**
 * Steps 2 and 3 for a change that wrote nothing to the message rows themselves (an
 * account deletion taking reactions with it): `ids` must be locked by this transaction
 * already and not written by it. Returns the number. (A reaction takes the same two steps
 * inside the one statement of its change: `changeReaction` in message-query.repository.ts.)
 */
export async function stampChange(
  em: EntityManager,
  relationId: number,
  ids: number[],
): Promise<number> {
  const n = await nextChange(em, relationId);
  await rows(em, 'update message set change_seq = ? where id = any(?::bigint[])', [
    n,
    bigintArray(ids),
  ]);
  return n;
}
