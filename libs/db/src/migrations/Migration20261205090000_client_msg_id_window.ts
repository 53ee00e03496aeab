import { Migration } from '@mikro-orm/migrations';

/**
 * A `client_msg_id` is unique per account within the send dedup window only
 * (`Gateway.SendDedupWindow`, docs/send-msg.md), no longer forever. The permanent unique
 * index made the database disagree with the gateway: once the gateway had forgotten a key
 * (its window passed, or Redis was flushed) a resend was acked with a new id, and the
 * insert of that acked message was then skipped by the index, so it was lost. The gateway
 * now answers resends within the window (from Redis, or from this table after a Redis
 * loss), and the persister stores every record it receives.
 *
 * The plain index serves the gateway's look-up after a Redis loss: the newest message of
 * an account with a given `client_msg_id`, newer than a bound (`id` last, so that is one
 * index descent). Created before the unique one is dropped, so the look-up always has one.
 *
 * Down recreates the unique index, which fails if an account has meanwhile reused a key
 * after its window: those rows must be resolved first.
 */
const UP: string[] = [
  `CREATE INDEX message_client_msg_id_idx ON message (account_id, client_msg_id, id)
    WHERE client_msg_id IS NOT NULL`,
  'DROP INDEX message_client_msg_id_key',
];

const DOWN: string[] = [
  `CREATE UNIQUE INDEX message_client_msg_id_key ON message (account_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL`,
  'DROP INDEX message_client_msg_id_idx',
];

export class Migration20261205090000_client_msg_id_window extends Migration {
  override up(): void {
    for (const sql of UP) this.addSql(sql);
  }

  override down(): void {
    for (const sql of DOWN) this.addSql(sql);
  }
}
