/**
 * `MsgExtend` of docs/api.md, stored in `message.msg_extend` and `group_notify.msg_expand`
 * exactly as the client sent it (wire field names), so it is returned unchanged.
 */
export interface MsgExtend {
  /** @-mentions: `idx` is the position of the n-th mention (≥ 1), `account_id` the account. */
  remind: { idx: number; account_id: number }[];
  /** `@all`: every member but the sender (group leader only). */
  all?: boolean;
}
