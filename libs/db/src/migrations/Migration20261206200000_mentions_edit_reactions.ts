import { Migration } from '@mikro-orm/migrations';

/**
 * @-mentions, edits and reactions (docs/features.md, docs/data-model.md §2.8).
 *
 * - `message.edit_at`: when the sender last edited the text; null if never.
 * - `message_mention`: one row per (message, mentioned member), written by the persister in
 *   the transaction that stores the message, so a mention is durable before it is pushed.
 *   `relation_id` is copied so the unread count and the "mentions of me" list are one index
 *   descent per (account, relation) instead of a join through `message`.
 * - `message_reaction`: one row per (message, account, emoji): adding twice or removing what
 *   is not there changes nothing. Goes with its message and with the reacting account.
 */
const UP: string[] = [
  'ALTER TABLE message ADD COLUMN edit_at timestamptz',
  `CREATE TABLE message_mention (
    message_id bigint NOT NULL
      CONSTRAINT message_mention_message_id_fkey REFERENCES message (id) ON DELETE CASCADE,
    account_id bigint NOT NULL
      CONSTRAINT message_mention_account_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    relation_id bigint NOT NULL,
    CONSTRAINT message_mention_pkey PRIMARY KEY (message_id, account_id)
  )`,
  `CREATE INDEX message_mention_account_idx ON message_mention (account_id, relation_id, message_id)`,
  `CREATE TABLE message_reaction (
    message_id bigint NOT NULL
      CONSTRAINT message_reaction_message_id_fkey REFERENCES message (id) ON DELETE CASCADE,
    account_id bigint NOT NULL
      CONSTRAINT message_reaction_account_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    emoji text NOT NULL CONSTRAINT message_reaction_emoji_check CHECK (char_length(emoji) BETWEEN 1 AND 16),
    create_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT message_reaction_pkey PRIMARY KEY (message_id, emoji, account_id)
  )`,
];

const DOWN: string[] = [
  'DROP TABLE message_reaction',
  'DROP TABLE message_mention',
  'ALTER TABLE message DROP COLUMN edit_at',
];

export class Migration20261206200000_mentions_edit_reactions extends Migration {
  override up(): void {
    for (const sql of UP) this.addSql(sql);
  }

  override down(): void {
    for (const sql of DOWN) this.addSql(sql);
  }
}
