import type {
  MsgExtend,
  MsgInfo,
  MsgInfoWithRly,
  PushEventName,
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

/** Push payloads by event (docs/protocol.md §4). */
interface PushPayloads {
  send_msg: { msg_info: MsgInfoWithRly };
  read_msg: { relation_id: number; reader_id: number; msg_ids: number[]; last_read_msg_id: number };
  account_login: { address: string };
  account_logout: { address: string };
  update_account: {
    account_id: number;
    name: string;
    gender: string;
    signature: string;
    avatar: string;
  };
  application: {
    account1_id: number;
    account2_id: number;
    apply_msg: string;
    refuse_msg: string;
    status: string;
    create_at: string;
    update_at: string;
    name: string;
    avatar: string;
  };
  delete_relation: { relation_id: number };
  update_nickname: { relation_id: number; nick_name: string };
  update_setting_state: {
    type: 'pin' | 'show' | 'not_disturb';
    relation_id: number;
    state: boolean;
  };
  update_email: { email: string };
  update_msg_state: {
    relation_id: number;
    type: 'pin' | 'top' | 'revoke';
    msg_id: number;
    state: boolean;
  };
  group_transferred: { relation_id: number; account_id: number };
  group_dissolved: { relation_id: number };
  group_new_account: { relation_id: number; account_id: number };
  group_quit_account: { relation_id: number; account_id: number };
  create_notify: NotifyPush;
  update_notify: NotifyPush;
  error: { status_code: number; status_msg: string };
}

/** `create_notify` / `update_notify` data; `msg_extent` is the older server's spelling. */
export interface NotifyPush {
  id: number;
  relation_id: number;
  account_id: number;
  msg_content: string;
  msg_extent: MsgExtend | null;
  create_at: string;
}

/** Keyed by the protocol's own list of names, so a push added there fails to compile here. */
export type PushEvents = { [Event in PushEventName]: PushPayloads[Event] };

export type { MsgInfo, MsgInfoWithRly, MsgExtend };
