import { Migration } from '@mikro-orm/migrations';

/**
 * Sessions end with their rights (docs/architecture.md, guarantees): every user and account
 * has a token epoch, carried by each token issued for it (claim `ep`). A password or email
 * change or a logout moves the epoch forward in the transaction of the change, which ends
 * every token issued before. A constant default makes this a catalogue-only change: no
 * table rewrite, whatever the row count.
 */
const UP: string[] = [
  `ALTER TABLE "user" ADD COLUMN token_epoch integer NOT NULL DEFAULT 0
     CONSTRAINT user_token_epoch_range CHECK (token_epoch >= 0)`,
  `ALTER TABLE account ADD COLUMN token_epoch integer NOT NULL DEFAULT 0
     CONSTRAINT account_token_epoch_range CHECK (token_epoch >= 0)`,
];

const DOWN: string[] = [
  'ALTER TABLE account DROP COLUMN token_epoch',
  'ALTER TABLE "user" DROP COLUMN token_epoch',
];

export class Migration20261203130000_token_epoch extends Migration {
  override up(): void {
    for (const sql of UP) this.addSql(sql);
  }

  override down(): void {
    for (const sql of DOWN) this.addSql(sql);
  }
}
