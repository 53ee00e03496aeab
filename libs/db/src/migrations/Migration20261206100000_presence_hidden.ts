import { Migration } from '@mikro-orm/migrations';

/**
 * `account.presence_hidden` (docs/protocol.md §3.6): an account that hides its presence
 * appears offline, without a last-seen time, to everyone else. Off for every account.
 */
export class Migration20261206100000_presence_hidden extends Migration {
  override up(): void {
    this.addSql('ALTER TABLE account ADD COLUMN presence_hidden boolean NOT NULL DEFAULT false');
  }

  override down(): void {
    this.addSql('ALTER TABLE account DROP COLUMN presence_hidden');
  }
}
