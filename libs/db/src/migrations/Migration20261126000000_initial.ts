import { Migration } from '@mikro-orm/migrations';

/**
 * The schema of docs/data-model.md §2, written by hand rather than generated from the entities: the
 * partial and expression indexes, CHECKs and composite foreign key below are the point of
 * the model, and a generator would silently drop some of them. Core PostgreSQL only, so the
 * embedded PGlite database runs the same statements (docs/data-model.md preamble).
 *
 * Constraint and index names are explicit so that errors name the rule that was broken
 * (`relation_friend_pair_key`, `setting_one_leader_key`, ...).
 */

/** 2^53 − 1: every id that reaches JSON is a safe JavaScript integer (docs/data-model.md §1). */
const MAX_ID = '9007199254740991';

/** Identity ids start at 1 and the sequence itself stops at 2^53 − 1. */
const IDENTITY = `bigint GENERATED ALWAYS AS IDENTITY (MAXVALUE ${MAX_ID}) PRIMARY KEY`;

const idRange = (table: string, column = 'id', min = 1): string =>
  `CONSTRAINT ${table}_${column}_range CHECK (${column} BETWEEN ${min} AND ${MAX_ID})`;

const UP: string[] = [
  // §2.1 — "user" is a reserved word, hence the quotes everywhere it appears.
  `CREATE TABLE "user" (
    id ${IDENTITY},
    email varchar(255) NOT NULL,
    password varchar(255) NOT NULL,
    create_at timestamptz NOT NULL DEFAULT now(),
    ${idRange('user')}
  )`,
  `CREATE UNIQUE INDEX user_email_lower_key ON "user" (lower(email))`,

  // §2.2 — RESTRICT: a user with accounts cannot be deleted (API 3005).
  `CREATE TABLE account (
    id ${IDENTITY},
    user_id bigint NOT NULL CONSTRAINT account_user_id_fkey REFERENCES "user" (id) ON DELETE RESTRICT,
    name varchar(32) NOT NULL,
    avatar varchar(1024) NOT NULL,
    gender text NOT NULL DEFAULT '未知',
    signature varchar(200) NOT NULL,
    create_at timestamptz NOT NULL DEFAULT now(),
    ${idRange('account')},
    CONSTRAINT account_gender_check CHECK (gender IN ('男', '女', '未知')),
    CONSTRAINT account_user_id_name_key UNIQUE (user_id, name)
  )`,
  `CREATE INDEX account_user_id_idx ON account (user_id)`,
  // Prefix search of /account/infos/name (name LIKE 'abc%') under any collation.
  `CREATE INDEX account_name_prefix_idx ON account (name text_pattern_ops)`,

  // §2.3 — a friendship (smaller id first; equal ids = self conversation) or a group.
  // Each comparison is guarded by IS NOT NULL: a CHECK that evaluates to NULL passes.
  `CREATE TABLE relation (
    id ${IDENTITY},
    relation_type text NOT NULL,
    account1_id bigint CONSTRAINT relation_account1_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    account2_id bigint CONSTRAINT relation_account2_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    group_name varchar(50),
    group_description varchar(255),
    group_avatar varchar(1024),
    create_at timestamptz NOT NULL DEFAULT now(),
    ${idRange('relation')},
    CONSTRAINT relation_type_check CHECK (relation_type IN ('friend', 'group')),
    CONSTRAINT relation_shape_check CHECK (
      (relation_type = 'friend'
        AND account1_id IS NOT NULL AND account2_id IS NOT NULL
        AND account1_id <= account2_id
        AND group_name IS NULL AND group_description IS NULL AND group_avatar IS NULL)
      OR
      (relation_type = 'group'
        AND account1_id IS NULL AND account2_id IS NULL
        AND group_name IS NOT NULL AND group_name <> ''
        AND group_description IS NOT NULL AND group_description <> ''
        AND group_avatar IS NOT NULL)
    )
  )`,
  `CREATE UNIQUE INDEX relation_friend_pair_key ON relation (account1_id, account2_id)
    WHERE relation_type = 'friend'`,
  `CREATE INDEX relation_friend_account2_id_idx ON relation (account2_id)
    WHERE relation_type = 'friend'`,

  // §2.4 — the row is the membership; the PK forbids duplicate memberships.
  `CREATE TABLE setting (
    account_id bigint NOT NULL CONSTRAINT setting_account_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    relation_id bigint NOT NULL CONSTRAINT setting_relation_id_fkey REFERENCES relation (id) ON DELETE CASCADE,
    nick_name varchar(20) NOT NULL DEFAULT '',
    is_not_disturb boolean NOT NULL DEFAULT false,
    is_pin boolean NOT NULL DEFAULT false,
    pin_time timestamptz NOT NULL DEFAULT now(),
    is_show boolean NOT NULL DEFAULT true,
    last_show timestamptz NOT NULL DEFAULT now(),
    is_leader boolean NOT NULL DEFAULT false,
    is_self boolean NOT NULL DEFAULT false,
    CONSTRAINT setting_pkey PRIMARY KEY (account_id, relation_id)
  )`,
  `CREATE INDEX setting_relation_id_idx ON setting (relation_id)`,
  `CREATE UNIQUE INDEX setting_one_leader_key ON setting (relation_id) WHERE is_leader`,

  // §2.5 — leaving a conversation (deleting the setting) drops the cursor with it.
  `CREATE TABLE read_cursor (
    account_id bigint NOT NULL,
    relation_id bigint NOT NULL,
    last_read_msg_id bigint NOT NULL DEFAULT 0,
    update_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT read_cursor_pkey PRIMARY KEY (account_id, relation_id),
    CONSTRAINT read_cursor_setting_fkey FOREIGN KEY (account_id, relation_id)
      REFERENCES setting (account_id, relation_id) ON DELETE CASCADE,
    ${idRange('read_cursor', 'last_read_msg_id', 0)}
  )`,
  `CREATE INDEX read_cursor_relation_id_last_read_msg_id_idx
    ON read_cursor (relation_id, last_read_msg_id)`,

  // §2.6 — one application per pair of accounts, whichever of them applied.
  `CREATE TABLE application (
    account1_id bigint NOT NULL CONSTRAINT application_account1_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    account2_id bigint NOT NULL CONSTRAINT application_account2_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    apply_msg varchar(200) NOT NULL,
    refuse_msg varchar(200) NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT '已申请',
    create_at timestamptz NOT NULL DEFAULT now(),
    update_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT application_pkey PRIMARY KEY (account1_id, account2_id),
    CONSTRAINT application_status_check CHECK (status IN ('已申请', '已同意', '已拒绝'))
  )`,
  `CREATE UNIQUE INDEX application_pair_key
    ON application (least(account1_id, account2_id), greatest(account1_id, account2_id))`,
  `CREATE INDEX application_account2_id_idx ON application (account2_id)`,

  // §2.7 — links are SET NULL on delete, which turns the row into an orphan for cleanup.
  `CREATE TABLE file (
    id ${IDENTITY},
    purpose text NOT NULL,
    file_name varchar(255) NOT NULL,
    file_type text NOT NULL,
    file_size bigint NOT NULL,
    key varchar(512) NOT NULL,
    url varchar(1024) NOT NULL,
    relation_id bigint CONSTRAINT file_relation_id_fkey REFERENCES relation (id) ON DELETE SET NULL,
    account_id bigint CONSTRAINT file_account_id_fkey REFERENCES account (id) ON DELETE SET NULL,
    create_at timestamptz NOT NULL DEFAULT now(),
    ${idRange('file')},
    ${idRange('file', 'file_size', 0)},
    CONSTRAINT file_purpose_check CHECK (purpose IN ('message', 'account_avatar', 'group_avatar')),
    CONSTRAINT file_file_type_check CHECK (file_type IN ('img', 'file'))
  )`,
  `CREATE INDEX file_relation_id_idx ON file (relation_id)`,
  `CREATE UNIQUE INDEX file_account_avatar_key ON file (account_id) WHERE purpose = 'account_avatar'`,
  `CREATE UNIQUE INDEX file_group_avatar_key ON file (relation_id) WHERE purpose = 'group_avatar'`,
  // The two orphan predicates of the cleanup job, so it never scans live files.
  `CREATE INDEX file_orphan_relation_idx ON file (id)
    WHERE purpose IN ('message', 'group_avatar') AND relation_id IS NULL`,
  `CREATE INDEX file_orphan_account_idx ON file (id)
    WHERE purpose = 'account_avatar' AND account_id IS NULL`,

  // §2.8 — id is an application snowflake (§1); create_at is the time it encodes, checked
  // here exactly: (id / 4096) is whole milliseconds since 2024-01-01T00:00:00Z.
  `CREATE TABLE message (
    id bigint NOT NULL CONSTRAINT message_pkey PRIMARY KEY,
    relation_id bigint NOT NULL CONSTRAINT message_relation_id_fkey REFERENCES relation (id) ON DELETE CASCADE,
    notify_type text NOT NULL,
    msg_type text NOT NULL,
    msg_content text NOT NULL,
    msg_extend jsonb,
    file_id bigint CONSTRAINT message_file_id_fkey REFERENCES file (id) ON DELETE CASCADE,
    account_id bigint CONSTRAINT message_account_id_fkey REFERENCES account (id) ON DELETE SET NULL,
    rly_msg_id bigint,
    client_msg_id varchar(64),
    create_at timestamptz NOT NULL,
    is_revoke boolean NOT NULL DEFAULT false,
    is_top boolean NOT NULL DEFAULT false,
    is_pin boolean NOT NULL DEFAULT false,
    pin_time timestamptz NOT NULL,
    search_grams text[] NOT NULL DEFAULT '{}',
    ${idRange('message')},
    ${idRange('message', 'rly_msg_id')},
    CONSTRAINT message_notify_type_check CHECK (notify_type IN ('common', 'system')),
    CONSTRAINT message_msg_type_check CHECK (msg_type IN ('text', 'file')),
    CONSTRAINT message_system_sender_check CHECK (notify_type = 'common' OR account_id IS NULL),
    CONSTRAINT message_file_id_check CHECK ((msg_type = 'file') = (file_id IS NOT NULL)),
    CONSTRAINT message_text_length_check CHECK (msg_type <> 'text' OR char_length(msg_content) <= 1000),
    CONSTRAINT message_create_at_check
      CHECK (create_at = timestamptz '2024-01-01 00:00:00+00' + (id / 4096) * interval '1 millisecond')
  )`,
  `CREATE INDEX message_relation_id_id_idx ON message (relation_id, id)`,
  `CREATE INDEX message_reply_idx ON message (relation_id, rly_msg_id) WHERE rly_msg_id IS NOT NULL`,
  `CREATE UNIQUE INDEX message_one_top_key ON message (relation_id) WHERE is_top`,
  `CREATE INDEX message_pinned_idx ON message (relation_id, pin_time DESC) WHERE is_pin`,
  `CREATE UNIQUE INDEX message_client_msg_id_key ON message (account_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL`,
  // §3: character and character-pair grams, so 1- and 2-character queries use the index.
  `CREATE INDEX message_search_grams_idx ON message USING gin (search_grams)`,

  // §2.9
  `CREATE TABLE group_notify (
    id ${IDENTITY},
    relation_id bigint NOT NULL CONSTRAINT group_notify_relation_id_fkey REFERENCES relation (id) ON DELETE CASCADE,
    msg_content text NOT NULL,
    msg_expand jsonb,
    account_id bigint CONSTRAINT group_notify_account_id_fkey REFERENCES account (id) ON DELETE SET NULL,
    create_at timestamptz NOT NULL,
    ${idRange('group_notify')},
    CONSTRAINT group_notify_msg_content_length_check CHECK (char_length(msg_content) <= 1000)
  )`,
  `CREATE INDEX group_notify_relation_id_create_at_idx ON group_notify (relation_id, create_at DESC)`,
];

const DOWN: string[] = [
  'DROP TABLE group_notify',
  'DROP TABLE message',
  'DROP TABLE file',
  'DROP TABLE application',
  'DROP TABLE read_cursor',
  'DROP TABLE setting',
  'DROP TABLE relation',
  'DROP TABLE account',
  'DROP TABLE "user"',
];

export class Migration20261126000000_initial extends Migration {
  override up(): void {
    // One statement per call: no driver has to accept several statements in one query,
    // and a failure names the statement that broke.
    for (const sql of UP) this.addSql(sql);
  }

  override down(): void {
    for (const sql of DOWN) this.addSql(sql);
  }
}
