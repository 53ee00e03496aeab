import type { MsgExtend } from '@chat/protocol';

/**
 * MsgInfo of docs/api.md §3 as the wire carries it, in the lists of §11 and the `send_msg`
 * push (docs/protocol.md §4): read as plain JSON, field by field, as a client reads it.
 */
export interface MsgInfo {
  id: number;
  notify_type: 'common' | 'system';
  msg_type: 'text' | 'file';
  msg_content: string;
  msg_extend: MsgExtend | null;
  file_id: number;
  account_id: number;
  relation_id: number;
  create_at: string;
  is_revoke: boolean;
  is_top: boolean;
  is_pin: boolean;
  pin_time: string;
  read_ids: number[] | null;
  reply_count: number;
  seq: number;
  edit_at: string | null;
  mentioned_me: boolean;
  reactions: { emoji: string; count: number; me: boolean }[];
}

/** The message a reply answers, as MsgInfoWithRly carries it (docs/api.md §3). */
export interface RlyMsg {
  msg_id: number;
  msg_type: 'text' | 'file';
  msg_content: string;
  msg_extend: MsgExtend | null;
  is_revoke: boolean;
}

/** MsgInfoWithRly of docs/api.md §3: a MsgInfo with the message it replies to, if any. */
export interface MsgInfoWithRly extends MsgInfo {
  rly_msg: RlyMsg | null;
}
