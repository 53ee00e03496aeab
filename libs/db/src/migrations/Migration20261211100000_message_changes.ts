import { Migration } from '@mikro-orm/migrations';

/**
 * Changes that sync brings back (docs/api.md `POST /api/msg/sync`, docs/data-model.md §2.8,
 * §2.16): every state change of a stored message (edit, reaction, revoke, pin, top) takes
 * the next number of its relation's change counter, in the transaction that makes the
 * change, and writes it to `message.change_seq`. A client that synced up to change N asks
 * for the messages it already has whose `change_seq` is above N.
 *
 * - `message.change_seq`: the number of the message's last change; null when it never
 *   changed since it was stored. No default, so adding it rewrites nothing.
 * - `relation_change`: the counter, one row per relation that has had a change. A table of
 *   its own, not a column of `relation`: the persister holds `relation` rows locked for
 *   every batch it numbers, and a top locks the relation's row and then its messages, while
 *   a reaction locks its message row first. With the counter on `relation`, a reaction
 *   (message, then relation) and a top (relation, then message) of one conversation could
 *   each wait for the other, and every change would queue behind the persister's batches.
 *   Every change takes the counter row last, after its message rows, and nothing else
 *   locks it.
 *
 *   No foreign key to `relation`, on purpose: checking it when a change inserts the
 *   relation's first counter row takes a KEY SHARE lock on the relation's row while the
 *   change holds its message rows, and a top (as an unfriend, a dissolve, an account
 *   deletion) holds that row FOR UPDATE while it waits for message rows: with the key, the
 *   repository test of racing reactions, pins and tops ended in "deadlock detected". The
 *   code that deletes a relation deletes its counter row after it (unfriend, dissolve,
 *   account deletion).
 * - The partial index serves the sync query (`relation_id = ? and change_seq > ?`) and
 *   holds only messages that changed.
 */
const UP: string[] = [
  'ALTER TABLE message ADD COLUMN change_seq bigint',
  `CREATE TABLE relation_change (
    relation_id bigint NOT NULL CONSTRAINT relation_change_pkey PRIMARY KEY,
    last_change bigint NOT NULL
      CONSTRAINT relation_change_last_change_range CHECK (last_change BETWEEN 1 AND 9007199254740991)
  )`,
  `CREATE INDEX message_relation_id_change_seq_idx ON message (relation_id, change_seq)
    WHERE change_seq IS NOT NULL`,
];

const DOWN: string[] = [
  'DROP INDEX message_relation_id_change_seq_idx',
  'DROP TABLE relation_change',
  'ALTER TABLE message DROP COLUMN change_seq',
];

export class Migration20261211100000_message_changes extends Migration {
  override up(): void {
    for (const sql of UP) this.addSql(sql);
  }

  override down(): void {
    for (const sql of DOWN) this.addSql(sql);
  }
}
