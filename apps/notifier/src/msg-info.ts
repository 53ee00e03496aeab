import type { StoredRecord } from '@chat/protocol';

/**
 * The `msg_info` of a `send_msg` push (docs/protocol.md §4 notes; docs/api.md §3 MsgInfoWithRly) for a
 * message just stored: not revoked, topped or pinned, `pin_time` = `create_at`, no reads
 * and no replies yet, 0 for a missing file or sender (system messages), its sequence
 * number, and the replied-to message blanked when that one is revoked.
 */
export function newMsgInfo(stored: StoredRecord) {
  const m = stored.message;
  const r = stored.rly_msg;
  const createAt = new Date(m.create_at).toISOString();
  return {
    id: m.id,
    notify_type: m.notify_type,
    msg_type: m.msg_type,
    msg_content: m.msg_content,
    msg_extend: m.msg_extend,
    file_id: m.file_id ?? 0,
    account_id: m.account_id ?? 0,
    relation_id: m.relation_id,
    create_at: createAt,
    is_revoke: false,
    is_top: false,
    is_pin: false,
    pin_time: createAt,
    read_ids: [] as number[],
    reply_count: 0,
    seq: stored.seq,
    rly_msg: r
      ? {
          msg_id: r.msg_id,
          msg_type: r.msg_type,
          msg_content: r.is_revoke ? '' : r.msg_content,
          msg_extend: r.is_revoke ? null : r.msg_extend,
          is_revoke: r.is_revoke,
        }
      : null,
  };
}
