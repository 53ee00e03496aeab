import { Migration } from '@mikro-orm/migrations';

/**
 * Sync without gaps (docs/architecture.md, guarantees): every message gets a per-relation
 * sequence number, assigned by the persister in the transaction that inserts it, from the
 * relation's counter. Clients resume from the last sequence they saw instead of a time, so
 * a message with an older id stored a moment later is never skipped.
 *
 * `seq` is null only inside that transaction (insert, then number the rows that were
 * really inserted, so a redelivered or duplicate record never consumes a number).
 */
const UP: string[] = [
  `ALTER TABLE relation ADD COLUMN last_seq bigint NOT NULL DEFAULT 0
     CONSTRAINT relation_last_seq_range CHECK (last_seq BETWEEN 0 AND 9007199254740991)`,
  `ALTER TABLE message ADD COLUMN seq bigint
     CONSTRAINT message_seq_range CHECK (seq BETWEEN 1 AND 9007199254740991)`,
  `CREATE UNIQUE INDEX message_relation_id_seq_key ON message (relation_id, seq)`,
];

const DOWN: string[] = [
  'DROP INDEX message_relation_id_seq_key',
  'ALTER TABLE message DROP COLUMN seq',
  'ALTER TABLE relation DROP COLUMN last_seq',
];

export class Migration20261127000000_message_seq extends Migration {
  override up(): void {
    for (const sql of UP) this.addSql(sql);
  }

  override down(): void {
    for (const sql of DOWN) this.addSql(sql);
  }
}
