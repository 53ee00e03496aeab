import type { MessageView } from '@chat/db';
import { iso } from '../views';

/**
 * MsgInfo of docs/api.md §3 as one caller sees a stored message: a revoked message shows `""` and
 * a null extension; missing ids are 0; `seq` is the per-relation sequence for sync.
 */
export function msgInfo(v: MessageView) {
  return {
    id: v.id,
    notify_type: v.notifyType,
    msg_type: v.msgType,
    msg_content: v.isRevoke ? '' : v.msgContent,
    msg_extend: v.isRevoke ? null : v.msgExtend,
    file_id: v.fileId ?? 0,
    account_id: v.accountId ?? 0,
    relation_id: v.relationId,
    create_at: iso(v.createAt),
    is_revoke: v.isRevoke,
    is_top: v.isTop,
    is_pin: v.isPin,
    pin_time: iso(v.pinTime),
    read_ids: v.readIds,
    reply_count: v.replyCount,
    seq: v.seq ?? 0,
  };
}

/** MsgInfoWithRly: plus the replied-to message, null when not a reply or gone. */
export function msgInfoWithRly(v: MessageView) {
  const r = v.rly;
  return {
    ...msgInfo(v),
    rly_msg: r
      ? {
          msg_id: r.id,
          msg_type: r.msgType,
          msg_content: r.isRevoke ? '' : r.msgContent,
          msg_extend: r.isRevoke ? null : r.msgExtend,
          is_revoke: r.isRevoke,
        }
      : null,
  };
}

/** BriefMsgInfo of docs/api.md §3 (search results). */
export function briefMsgInfo(v: MessageView) {
  return {
    id: v.id,
    notify_type: v.notifyType,
    msg_type: v.msgType,
    msg_content: v.isRevoke ? '' : v.msgContent,
    msg_extend: v.isRevoke ? null : v.msgExtend,
    file_id: v.fileId ?? 0,
    account_id: v.accountId ?? 0,
    relation_id: v.relationId,
    create_at: iso(v.createAt),
  };
}
