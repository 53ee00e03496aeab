import { Migration } from '@mikro-orm/migrations';

/**
 * `account.push_mentions_break_dnd` (docs/push-notifications.md, Who is notified): whether a
 * mention notifies the account's devices in a conversation it has set do-not-disturb. Null,
 * as for every account at first, means the server's default (`Push.MentionsBreakDoNotDisturb`),
 * so changing that default reaches every account that never chose.
 */
export class Migration20261210130000_push_settings extends Migration {
  override up(): void {
    this.addSql('ALTER TABLE account ADD COLUMN push_mentions_break_dnd boolean');
  }

  override down(): void {
    this.addSql('ALTER TABLE account DROP COLUMN push_mentions_break_dnd');
  }
}
