import { Migration } from '@mikro-orm/migrations';

/**
 * The search index off the persister's hot path (docs/data-model.md §3): the grams of a text message
 * move from `message.search_grams` to a table of their own, written a moment after the
 * message by the indexer (a second consumer of `chat.stored` in the persister process).
 * Measured with 3,000-row batches, maintaining the GIN index inside the insert was two
 * thirds of the store's time, and so of the delivery latency under load.
 *
 * One row per indexed text message; file messages have none. `relation_id` repeats the
 * message's (it never changes) so a search can narrow by the caller's relations before it
 * joins `message`. The row goes with its message (`ON DELETE CASCADE`). Existing grams are
 * copied over before the column goes; the GIN index is built after the copy, in one pass,
 * and keeps the name search plans have always shown.
 */
const UP: string[] = [
  `CREATE TABLE message_search (
    message_id bigint NOT NULL CONSTRAINT message_search_pkey PRIMARY KEY
      CONSTRAINT message_search_message_id_fkey REFERENCES message (id) ON DELETE CASCADE,
    relation_id bigint NOT NULL,
    grams text[] NOT NULL
  )`,
  `INSERT INTO message_search (message_id, relation_id, grams)
    SELECT id, relation_id, search_grams FROM message WHERE msg_type = 'text'`,
  'DROP INDEX message_search_grams_idx',
  'ALTER TABLE message DROP COLUMN search_grams',
  `CREATE INDEX message_search_grams_idx ON message_search USING gin (grams)`,
  `CREATE INDEX message_search_relation_id_idx ON message_search (relation_id)`,
];

const DOWN: string[] = [
  `ALTER TABLE message ADD COLUMN search_grams text[] NOT NULL DEFAULT '{}'`,
  `UPDATE message m SET search_grams = s.grams FROM message_search s WHERE s.message_id = m.id`,
  'DROP TABLE message_search',
  'CREATE INDEX message_search_grams_idx ON message USING gin (search_grams)',
];

export class Migration20261128000000_message_search extends Migration {
  override up(): void {
    for (const sql of UP) this.addSql(sql);
  }

  override down(): void {
    for (const sql of DOWN) this.addSql(sql);
  }
}
