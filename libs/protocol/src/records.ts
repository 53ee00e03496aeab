/** MsgExtend of docs/api.md §3: @-mentions; stored and returned as given. */
export interface MsgExtend {
  remind: { idx: number; account_id: number }[];
  /** `@all` (docs/features.md, Mentions): every member but the sender; group leader only. */
  all?: boolean;
}

/**
 * A record on `chat.messages` (key = `relation_id`): a message accepted by a gateway
 * (`send_msg`) or created by the api (file messages, system messages). The persister
 * stores it idempotently on `id` and assigns its per-conversation sequence number; only
 * then does the notifier push it (docs/architecture.md, topology).
 */
export interface MessageRecord {
  /** 53-bit snowflake assigned by the producer (docs/data-model.md §1). */
  id: number;
  relation_id: number;
  notify_type: 'common' | 'system';
  msg_type: 'text' | 'file';
  /** Text (≤ 1000 characters) or, for a file message, the file URL. */
  msg_content: string;
  msg_extend: MsgExtend | null;
  file_id: number | null;
  /** Sender; null for system messages. */
  account_id: number | null;
  rly_msg_id: number | null;
  client_msg_id: string | null;
  /** The time encoded in `id`, RFC 3339 with milliseconds. */
  create_at: string;
  /** The connection that sent it over WebSocket, excluded from the push (docs/protocol.md §3.2). */
  origin?: { node: string; conn: string };
}

/** The system message texts of docs/api.md §3.1 (protocol values kept from the reference server). */
export const SYSTEM_TEXTS = {
  becameFriends: '成为好友',
  pinnedTop: (accountId: number) => `${accountId}置顶了一条消息`,
  removedTop: (accountId: number) => `${accountId}移除了置顶内容`,
} as const;

/**
 * A record on `chat.reads` (key = `relation_id`): a reader's cursor to advance (docs/protocol.md
 * §3.3). The persister applies it with GREATEST (never backwards); the notifier pushes
 * `read_msg` when the cursor moved.
 */
export interface ReadRecord {
  relation_id: number;
  reader_id: number;
  /** The ids of the request, as sent. */
  msg_ids: number[];
  /** max(msg_ids): the cursor requested. */
  last_read_msg_id: number;
  /** The cursor before this request, as the gateway saw it (0 when none). */
  previous_read_msg_id: number;
  origin?: { node: string; conn: string };
}

/**
 * A record on `chat.stored` (key = `relation_id`): a message the persister committed, with
 * its per-conversation sequence number. Only what is here may be pushed: history can
 * already return it (docs/architecture.md, notifier).
 */
export interface StoredRecord {
  message: MessageRecord;
  /** 1, 2, 3, … per relation, gap-free, in the order the relation's partition delivered. */
  seq: number;
  /**
   * The replied-to message as it was when stored, or null, unblanked: `storedMsgInfo` builds
   * the push's `rly_msg` from it as history builds its own (`msg-info.ts`).
   */
  rly_msg: {
    msg_id: number;
    msg_type: 'text' | 'file';
    msg_content: string;
    msg_extend: MsgExtend | null;
    is_revoke: boolean;
  } | null;
  /**
   * The accounts the persister recorded as mentioned (members only, never the sender),
   * ascending; absent in records written before mentions existed.
   */
  mentions?: number[];
}

/**
 * A record on `push.<node>`: frames for the sockets one gateway node holds. The gateway
 * writes `frame` to every local socket of each account in `accounts`, except the socket
 * `exclude_conn` (the sender of a `send_msg`, or the reader of a `read_msg`).
 */
export interface DeliveryRecord {
  accounts: number[];
  exclude_conn?: string;
  frame: { event: string; data: unknown };
  /** Close these accounts' sockets with this code after writing (4403 on deletion). */
  close?: { code: number; reason: string };
  /**
   * The notifier's record this push was planned from, and which of its pushes it is:
   * `<topic>/<partition>/<offset>/<push index>` (`chat.stored/3/81520/0`; a topic name has
   * no `/`). A notifier that dies after publishing and before committing plans the record
   * again; the gateway writes a push only if its source is past the last one it wrote from
   * that source partition (`DeliverySources`), so the repeat reaches nobody twice. Presence
   * announcements and typing have none. One short string: it rides on every push.
   */
  source?: string;
}

/**
 * The headers of a `chat.dead-letter` record. Its key and value are the original record's,
 * byte for byte, so it can be published back to its topic once the cause is fixed.
 */
export const DEAD_LETTER_HEADERS = {
  /** The topic, partition and offset the record was read from. */
  topic: 'dead-letter-topic',
  partition: 'dead-letter-partition',
  offset: 'dead-letter-offset',
  /** The consumer group that gave it up. */
  group: 'dead-letter-group',
  /** `unreadable` (not a record of the topic's contract) or `refused` (by the database). */
  reason: 'dead-letter-reason',
  /** The SQLSTATE of a refused record (`22021`, `23503`, …); absent when unreadable. */
  sqlState: 'dead-letter-sql-state',
  /** What went wrong, in words: the constraint and ids, or the parse error. */
  detail: 'dead-letter-detail',
  /** When it was given up, RFC 3339. */
  at: 'dead-letter-at',
} as const;

export type DeadLetterReason = 'unreadable' | 'refused';
