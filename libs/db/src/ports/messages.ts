/**
 * Stored messages (docs/data-model.md §2.8) as the message area (docs/api.md §11) and the
 * gateway's requests (docs/protocol.md §3) read and change them. Storing is the persister's.
 */
import type { MessageWithReply } from '@chat/protocol';

/**
 * One message as history shows it to one caller (docs/api.md §3 MsgInfoWithRly, before
 * mapping): the row shape the protocol's one msg_info builder takes, plus, for the feed,
 * whether the caller has read it (sender, or cursor ≥ id).
 */
export type MessageView = MessageWithReply & { hasRead: boolean };

export interface Page {
  page: number;
  pageSize: number;
}

/** The state a mutation needs to know about one message. */
export interface MessageState {
  id: number;
  relationId: number;
  accountId: number | null;
  isRevoke: boolean;
  isPin: boolean;
  isTop: boolean;
  notifyType: 'common' | 'system';
  msgType: 'text' | 'file';
  createAt: Date;
}

/** The outcome of adding or removing one reaction. */
export interface ReactionChange {
  /** False when it was already there (add) or not there (remove). */
  changed: boolean;
  /** How many accounts react with this emoji now. */
  count: number;
  /** Adding a new distinct emoji past the limit: nothing changed. */
  limited?: true;
  /** The message is revoked (or gone): nothing changed. */
  revoked?: true;
}

/**
 * `reactAsMember`: what one transaction found and did. `missing`: no stored message of that
 * id (nothing done); `notMember`: the caller is not a member of its conversation (nothing
 * done); else the change, with the conversation and its members for the push.
 */
export type MemberReaction =
  | { missing: true }
  | { missing?: undefined; notMember: true; relationId: number }
  | {
      missing?: undefined;
      notMember?: undefined;
      relationId: number;
      /** Member account ids of the conversation, ascending. */
      members: number[];
      change: ReactionChange;
    };

/** One page of messages and how many match in all. */
export interface MessageList {
  rows: MessageView[];
  total: number;
}

/** One relation's answer to a sync (docs/api.md `POST /api/msg/sync`), before mapping. */
export interface SyncPage {
  /** Messages after the position's sequence number, in sequence order. */
  rows: MessageView[];
  /** Messages up to it changed after its change number, in change order. */
  changed: MessageView[];
  /**
   * More messages or more changes remain: call again from the new position. (After a page
   * that is one change on more messages than the limit, it says so without looking further.)
   */
  hasMore: boolean;
  /** The relation's newest sequence number (at least the last one in `rows`). */
  lastSeq: number;
  /**
   * The change number to resume from: the relation's committed counter when `changed`
   * holds every change, else the number of the last one it holds.
   */
  lastChange: number;
}

/** Reads and state changes of stored messages for the message area; never inserts. */
export interface MessageQueryRepository {
  /** list/time: created strictly before `beforeMs`, oldest first. */
  beforeTime(
    caller: number,
    relationId: number,
    beforeMs: number,
    page: Page,
  ): Promise<MessageList>;
  /** list/feed: every relation of the caller, created strictly after `afterMs`, oldest first. */
  feed(caller: number, afterMs: number, page: Page): Promise<MessageList>;
  /** list/pin: most recently pinned first. */
  pinned(caller: number, relationId: number, page: Page): Promise<MessageList>;
  /** list/rly: replies to one message, oldest first. */
  replies(caller: number, relationId: number, rlyMsgId: number, page: Page): Promise<MessageList>;
  /** The relation's top message; null when none is topped. */
  top(caller: number, relationId: number): Promise<MessageView | null>;
  /**
   * Sync of one relation: messages after `afterSeq`, in sequence order, and (when
   * `afterChange` is not null) the messages up to `afterSeq` changed after change number
   * `afterChange`, in change order; at most `limit` of each (a group of messages changed
   * together is never split, so it may pass the limit when alone on its page).
   */
  syncRelation(
    caller: number,
    relationId: number,
    afterSeq: number,
    afterChange: number | null,
    limit: number,
  ): Promise<SyncPage>;
  /**
   * list/content: text messages containing `query` (docs/data-model.md §3) in the relation,
   * or in every relation of the caller when `relationId` is 0; newest first. Null when the
   * query has no grams (only whitespace).
   */
  search(
    caller: number,
    relationId: number,
    query: string,
    page: Page,
  ): Promise<MessageList> | null;
  state(id: number): Promise<MessageState | null>;
  /**
   * Pins or unpins; pinning a revoked message changes nothing (`revoked`), also when the
   * revoke commits between the caller's check and this change.
   *
   * Every state change below stamps the messages it changed with the next number of their
   * relation's change counter, in its transaction (docs/data-model.md §2.16); one that
   * changes nothing stamps nothing.
   */
  setPin(id: number, isPin: boolean): Promise<'changed' | 'unchanged' | 'revoked'>;
  /**
   * Tops or un-tops; topping un-tops the relation's previous top message in the same
   * transaction (at most one per relation). Topping a revoked message changes nothing
   * (`revoked`). Returns whether this message changed and which other message lost the top.
   */
  setTop(
    relationId: number,
    id: number,
    isTop: boolean,
  ): Promise<{ changed: boolean; previousTop: number | null; revoked?: true }>;
  /** Revokes and clears pin and top; null when it was already revoked (raced). */
  revoke(id: number): Promise<{ wasPinned: boolean; wasTop: boolean } | null>;
  /**
   * list/mention: messages mentioning the caller (in one relation, or in every relation it
   * belongs to when `relationId` is 0), newest first; a revoked message mentions nobody.
   */
  mentions(caller: number, relationId: number, page: Page): Promise<MessageList>;
  /** Messages mentioning the caller in the relation after its read cursor, not revoked. */
  unreadMentions(caller: number, relationId: number): Promise<number>;
  /**
   * Replaces the text of a non-revoked text message and sets `edit_at` (now), its search
   * grams with it. Null when it is revoked by now (raced), else the new `edit_at`.
   */
  editText(id: number, content: string): Promise<Date | null>;
  /**
   * Adds (idempotent) or removes one account's reaction. A new distinct emoji past
   * `maxDistinct` on the message is refused (`limited`); a revoked message too (`revoked`).
   * Serialised per message, so the limit holds under concurrency.
   */
  react(
    id: number,
    accountId: number,
    emoji: string,
    add: boolean,
    maxDistinct: number,
  ): Promise<ReactionChange>;
  /**
   * `react` for a caller that must be a member of the message's conversation: the lookup of
   * the message, the membership check, the member list and the change in one transaction
   * (the unit of work's, when one is open) and two statements, for the REST call.
   */
  reactAsMember(
    id: number,
    accountId: number,
    emoji: string,
    add: boolean,
    maxDistinct: number,
  ): Promise<MemberReaction>;
}

/** What the gateway needs to know about a message being replied to (docs/protocol.md §3.2). */
export interface ReplyTarget {
  relationId: number;
  isRevoke: boolean;
}

/** A sender's key: the account and its `client_msg_id`. */
export interface SendKey {
  accountId: number;
  clientMsgId: string;
}

/** A stored message found for a key. */
export interface SentMessage extends SendKey {
  msgId: number;
  /** ISO 8601, the time in the id (docs/data-model.md §1). */
  createAt: string;
}

/**
 * The gateway's per-request reads: the replied-to message, the reader's cursor, and the
 * originals of resends after the cache lost its dedup claims (docs/send-msg.md). Each is
 * one index descent (per key).
 */
export interface MessageLookupRepository {
  /** The message's relation and whether it is revoked; null when there is none. */
  replyTarget(msgId: number): Promise<ReplyTarget | null>;
  /** The reader's cursor in the relation (docs/data-model.md §2.5): 0 when there is no row. */
  readCursor(accountId: number, relationId: number): Promise<number>;
  /** Whether the account leads the relation (a group): who may mention everyone. */
  isLeader(accountId: number, relationId: number): Promise<boolean>;
  /** The newest message of each key created at or after `sinceMs`; none for the others. */
  newestSends(keys: SendKey[], sinceMs: number): Promise<SentMessage[]>;
  /** Whether any message with a `client_msg_id` was created at or after `sinceMs`. */
  anySendSince(sinceMs: number): Promise<boolean>;
}
