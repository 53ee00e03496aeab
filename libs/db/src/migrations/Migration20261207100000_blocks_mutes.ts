import { Migration } from '@mikro-orm/migrations';

/**
 * Block list and member mute (docs/features.md). `account_block` holds who blocked whom:
 * one row per ordered pair, gone with either account. A group member's mute is a column of
 * its setting (membership) row, so it leaves with the member; null, or a time in the past,
 * means not muted. The new column has no default: a catalogue-only change, whatever the
 * row count.
 */
const UP: string[] = [
  `CREATE TABLE account_block (
     blocker_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
     blocked_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
     create_at timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT account_block_pkey PRIMARY KEY (blocker_id, blocked_id),
     CONSTRAINT account_block_not_self CHECK (blocker_id <> blocked_id)
   )`,
  'CREATE INDEX account_block_blocked_idx ON account_block (blocked_id)',
  'ALTER TABLE setting ADD COLUMN muted_until timestamptz NULL',
];

const DOWN: string[] = ['ALTER TABLE setting DROP COLUMN muted_until', 'DROP TABLE account_block'];

export class Migration20261207100000_blocks_mutes extends Migration {
  override up(): void {
    for (const sql of UP) this.addSql(sql);
  }

  override down(): void {
    for (const sql of DOWN) this.addSql(sql);
  }
}
