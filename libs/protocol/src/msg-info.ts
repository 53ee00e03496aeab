import type { z } from 'zod';
import type { BriefMsgInfoOut, MsgInfoOut, MsgInfoWithRlyOut } from './api/message.schemas';
import type { MessageRecord, MsgExtend, StoredRecord } from './records';

/**
 * The one place a message becomes what clients see of it (docs/api.md §3): the `send_msg`
 * push (docs/protocol.md §4) and every REST list build it here, from the same row shape, so
 * a push and the history a client fetches later cannot differ. Only what is true at the
 * time differs: a push describes the message as it is when stored.
 */

/** MsgInfo, MsgInfoWithRly and BriefMsgInfo of docs/api.md §3, as they go on the wire. */
export type MsgInfo = z.output<typeof MsgInfoOut>;
export type MsgInfoWithRly = z.output<typeof MsgInfoWithRlyOut>;
export type BriefMsgInfo = z.output<typeof BriefMsgInfoOut>;
export type RlyMsg = NonNullable<MsgInfoWithRly['rly_msg']>;

/** A stored message's own columns (docs/data-model.md §2.8). */
export interface MessageRow {
  id: number;
  relationId: number;
  notifyType: 'common' | 'system';
  msgType: 'text' | 'file';
  msgContent: string;
  msgExtend: MsgExtend | null;
  /** Null unless a file message. */
  fileId: number | null;
  /** Null for a system message. */
  accountId: number | null;
  createAt: Date;
  isRevoke: boolean;
  isTop: boolean;
  isPin: boolean;
  pinTime: Date;
  /** Null only for a row not numbered yet. */
  seq: number | null;
  /** When the sender last edited the text; null if never. */
  editAt: Date | null;
}

/** One emoji on a message, for one viewer. */
export interface ReactionCount {
  emoji: string;
  count: number;
  /** The viewer reacted with it. */
  me: boolean;
}

/** What other rows say about a message, for one viewer (docs/data-model.md §2.5). */
export interface MessageCounts {
  /** The other members whose cursor passed it, for its sender; null for anyone else. */
  readIds: number[] | null;
  /** Messages of the relation that reply to it. */
  replyCount: number;
  /** The viewer is among the accounts the message mentions. */
  mentionedMe: boolean;
  /** Its reactions, most used first (ties: first added first). */
  reactions: ReactionCount[];
}

/** The replied-to message (same relation), as it is now or was when the reply was stored. */
export interface ReplyTarget {
  id: number;
  msgType: 'text' | 'file';
  msgContent: string;
  msgExtend: MsgExtend | null;
  isRevoke: boolean;
}

/** A message with its counts and replied-to message: everything MsgInfoWithRly shows. */
export type MessageWithReply = MessageRow & MessageCounts & { rly: ReplyTarget | null };

/** RFC 3339 with milliseconds, UTC (docs/api.md §1.2). */
const iso = (d: Date): string => d.toISOString();

/** BriefMsgInfo (search results): a revoked message shows `""` and no extension; missing ids are 0. */
export function briefMsgInfo(m: MessageRow): BriefMsgInfo {
  return {
    id: m.id,
    notify_type: m.notifyType,
    msg_type: m.msgType,
    msg_content: m.isRevoke ? '' : m.msgContent,
    msg_extend: m.isRevoke ? null : m.msgExtend,
    file_id: m.fileId ?? 0,
    account_id: m.accountId ?? 0,
    relation_id: m.relationId,
    create_at: iso(m.createAt),
  };
}

/** MsgInfo: BriefMsgInfo plus its state, read receipts, replies and sequence number. */
export function msgInfo(m: MessageRow & MessageCounts): MsgInfo {
  return {
    ...briefMsgInfo(m),
    is_revoke: m.isRevoke,
    is_top: m.isTop,
    is_pin: m.isPin,
    pin_time: iso(m.pinTime),
    read_ids: m.readIds,
    reply_count: m.replyCount,
    seq: m.seq ?? 0,
    edit_at: m.editAt ? iso(m.editAt) : null,
    mentioned_me: m.mentionedMe,
    reactions: m.reactions.map((r) => ({ emoji: r.emoji, count: r.count, me: r.me })),
  };
}

/** RlyMsg: the replied-to message, blanked like any message once revoked. */
export function rlyMsg(r: ReplyTarget): RlyMsg {
  return {
    msg_id: r.id,
    msg_type: r.msgType,
    msg_content: r.isRevoke ? '' : r.msgContent,
    msg_extend: r.isRevoke ? null : r.msgExtend,
    is_revoke: r.isRevoke,
  };
}

/** MsgInfoWithRly: plus the replied-to message, null when not a reply or gone. */
export function msgInfoWithRly(m: MessageWithReply): MsgInfoWithRly {
  return { ...msgInfo(m), rly_msg: m.rly ? rlyMsg(m.rly) : null };
}

/**
 * The `chat.stored` record of a message the persister stored as number `seq`, with the
 * message it replies to as that is now (null when not a reply, or not in the relation).
 * The target travels unblanked; `storedMsgInfo` decides what clients see of it.
 */
export function storedRecord(
  message: MessageRecord,
  seq: number,
  rly: ReplyTarget | null,
  mentions: number[] = [],
): StoredRecord {
  return {
    message,
    seq,
    mentions,
    rly_msg: rly
      ? {
          msg_id: rly.id,
          msg_type: rly.msgType,
          msg_content: rly.msgContent,
          msg_extend: rly.msgExtend,
          is_revoke: rly.isRevoke,
        }
      : null,
  };
}

/**
 * A message just stored, as history reads its row at that moment: not revoked, topped or
 * pinned, `pin_time` = `create_at` (as the persister writes the row), nobody has read it,
 * nothing replies to it and nobody reacted yet, never edited. `mentionedMe` is the viewer's:
 * whether it is among the record's `mentions`.
 */
export function storedMessage(stored: StoredRecord, mentionedMe = false): MessageWithReply {
  const m = stored.message;
  const r = stored.rly_msg;
  const createAt = new Date(m.create_at);
  return {
    id: m.id,
    relationId: m.relation_id,
    notifyType: m.notify_type,
    msgType: m.msg_type,
    msgContent: m.msg_content,
    msgExtend: m.msg_extend,
    fileId: m.file_id,
    accountId: m.account_id,
    createAt,
    isRevoke: false,
    isTop: false,
    isPin: false,
    pinTime: createAt,
    seq: stored.seq,
    readIds: [],
    replyCount: 0,
    editAt: null,
    mentionedMe,
    reactions: [],
    rly: r
      ? {
          id: r.msg_id,
          msgType: r.msg_type,
          msgContent: r.msg_content,
          msgExtend: r.msg_extend,
          isRevoke: r.is_revoke,
        }
      : null,
  };
}

/**
 * The `msg_info` of the `send_msg` push of a stored message (docs/protocol.md §4 notes):
 * MsgInfoWithRly of the message as it is when stored (`storedMessage`). Every receiver gets
 * the same one, so `read_ids` is `[]` where history shows the sender's readers (null for
 * anyone else). `mentioned_me` is per viewer: the notifier sends the mentioned members
 * their own copy (`mentionedMe` true).
 */
export function storedMsgInfo(stored: StoredRecord, mentionedMe = false): MsgInfoWithRly {
  return msgInfoWithRly(storedMessage(stored, mentionedMe));
}
