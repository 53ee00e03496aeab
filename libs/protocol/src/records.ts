/** MsgExtend of API.md §3: @-mentions; stored and returned as given. */
export interface MsgExtend {
  remind: { idx: number; account_id: number }[];
}

/**
 * A record on `chat.messages` (key = `relation_id`): a message accepted by a gateway
 * (`send_msg`) or created by the api (file messages, system messages). The persister
 * stores it idempotently on `id` and assigns its per-conversation sequence number; only
 * then does the notifier push it (ARCHITECTURE.md, topology).
 */
export interface MessageRecord {
  /** 53-bit snowflake assigned by the producer (DATA.md §1). */
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
  /** The connection that sent it over WebSocket, excluded from the push (EVENTS.md §3.2). */
  origin?: { node: string; conn: string };
}

/** The system message texts of API.md §3.1 (protocol values kept from the reference server). */
export const SYSTEM_TEXTS = {
  becameFriends: '成为好友',
  pinnedTop: (accountId: number) => `${accountId}置顶了一条消息`,
  removedTop: (accountId: number) => `${accountId}移除了置顶内容`,
} as const;
