import { Migration } from '@mikro-orm/migrations';

/**
 * Devices that receive push notifications while their account has no socket online
 * (docs/push-notifications.md). One row per provider token: `token` is the FCM registration
 * token, the APNs device token, or the Web Push subscription's endpoint URL (whose keys are
 * `p256dh` and `auth`). A token is unique per platform: registering it again from another
 * account moves it there (the phone changed hands), so a device never notifies two accounts.
 * Rows go with their account.
 */
const UP: string[] = [
  `CREATE TABLE push_device (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL CONSTRAINT push_device_account_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    platform varchar(16) NOT NULL CONSTRAINT push_device_platform_check CHECK (platform IN ('fcm', 'apns', 'webpush')),
    token varchar(2048) NOT NULL,
    p256dh varchar(128),
    auth varchar(64),
    create_at timestamptz NOT NULL DEFAULT now(),
    update_at timestamptz NOT NULL DEFAULT now()
  )`,
  'CREATE UNIQUE INDEX push_device_token_key ON push_device (platform, token)',
  'CREATE INDEX push_device_account_idx ON push_device (account_id)',
];

const DOWN: string[] = ['DROP TABLE push_device'];

export class Migration20261208100000_push_devices extends Migration {
  override up(): void {
    for (const sql of UP) this.addSql(sql);
  }

  override down(): void {
    for (const sql of DOWN) this.addSql(sql);
  }
}
