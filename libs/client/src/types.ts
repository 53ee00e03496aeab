import type {
  MsgExtend,
  MsgInfo,
  MsgInfoWithRly,
  PushData,
  PushEventName,
  ReplyData,
  SendMsgData,
  SettingFriendOut,
} from '@chat/protocol';

/** The REST envelope of docs/api.md §1.1. */
export interface Envelope<T> {
  status_code: number;
  status_msg: string;
  data?: T;
}

/** Token of docs/api.md §3. */
export interface Token {
  token: string;
  expired_at: string;
}

/** Lists of docs/api.md §1.1. */
export interface List<T> {
  list: T[];
  total: number;
}

/** SettingFriend of docs/api.md §3. */
export type SettingFriend = (typeof SettingFriendOut)['_zod']['output'];

/** One conversation of a `POST /api/msg/sync` reply (docs/api.md §11). */
export interface SyncedRelation {
  relation_id: number;
  messages: MsgInfoWithRly[];
  last_seq: number;
  /**
   * Messages up to `after_seq` changed (edited, reacted to, revoked, pinned, made top) since
   * `after_change`, whole, in the order of their last change. Absent from older servers.
   */
  changed?: MsgInfoWithRly[];
  /** The conversation's change counter: the next sync's `after_change`. Absent from older servers. */
  last_change?: number;
  /** More messages or more changes remain: sync again from where this reply ends. */
  has_more: boolean;
}

/** `send_msg` request data (docs/protocol.md §3.2). */
export type SendMessageInput = SendMsgData;

/** The ack of a `send_msg` (docs/protocol.md §3.2), with the key the message was sent under. */
export interface SendMessageAck {
  msg_id: number;
  create_at: string;
  client_msg_id: string;
}

/** `auth` reply data (docs/protocol.md §2.1). */
export interface AuthResult {
  account_id: number;
  expired_at: string;
}

/** `read_msg` reply data (docs/protocol.md §3.3). */
export interface ReadResult {
  last_read_msg_id: number;
}

/**
 * Push payloads by event (docs/protocol.md §4): the types of the zod schemas in
 * `@chat/protocol` (`PUSH_DATA`) that the AsyncAPI document is generated from.
 */
type PushPayloads = PushData;

/** `create_notify` / `update_notify` data; `msg_extent` is the older server's spelling. */
export type NotifyPush = PushData['create_notify'];

/** The reply types above are those of the protocol's `REPLY_DATA` schemas, or this fails. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type _RepliesMatchProtocol = Assert<
  [
    Same<AuthResult, ReplyData['auth']>,
    Same<ReadResult, ReplyData['read_msg']>,
    Same<Omit<SendMessageAck, 'client_msg_id'>, ReplyData['send_msg']>,
  ] extends [true, true, true]
    ? true
    : false
>;

/** Keyed by the protocol's own list of names, so a push added there fails to compile here. */
export type PushEvents = { [Event in PushEventName]: PushPayloads[Event] };

export type { MsgInfo, MsgInfoWithRly, MsgExtend };
