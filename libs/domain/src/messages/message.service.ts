import type { MembershipRepository, MessageQueryRepository, MessageView, Page } from '@chat/db';
import type { Logger } from '@chat/logger';
import {
  AppError,
  ErrorCode,
  InvalidInputError,
  PUSH_EVENTS,
  SYNC_MAX_MESSAGES,
  SYSTEM_TEXTS,
  briefMsgInfo,
  msgInfo,
  msgInfoWithRly,
} from '@chat/protocol';
import type { ChatEventDraft, UnitOfWork } from '../ports';
import { findAckedMessage } from './acked-message';
import { systemMessage, type IdGenerator } from './system-message';

export interface MessageServiceDeps {
  messages: MessageQueryRepository;
  membership: MembershipRepository;
  /** A state change, its pushes and its system message commit together. */
  work: UnitOfWork;
  /** Ids of the system messages. */
  ids: IdGenerator;
  log: Logger;
  /** `Message.*` of the configuration; defaults: 15 minutes, 20 reactions. */
  rules?: MessageRules;
}

/** How long a text stays editable, and how many distinct reactions a message takes. */
export interface MessageRules {
  editWindowMs: number;
  maxReactions: number;
}

const DEFAULT_RULES: MessageRules = { editWindowMs: 15 * 60_000, maxReactions: 20 };

type StateType = 'pin' | 'top' | 'revoke';

/** The message area of docs/api.md §11 (history, search, state changes) and sequence sync. */
export class MessageService {
  private readonly rules: MessageRules;

  constructor(private readonly d: MessageServiceDeps) {
    this.rules = d.rules ?? DEFAULT_RULES;
  }

  /** "Not a member" → 2009 (docs/api.md §11). */
  private async requireMember(caller: number, relationId: number): Promise<void> {
    if (!(await this.d.membership.isMember(caller, relationId))) {
      throw new AppError(ErrorCode.PermissionDenied, 'not a member of this conversation');
    }
  }

  private static page<T>(rows: MessageView[], total: number, map: (v: MessageView) => T) {
    return { list: rows.map(map), total };
  }

  async listByTime(caller: number, relationId: number, lastTimeSec: number, page: Page) {
    await this.requireMember(caller, relationId);
    const { rows, total } = await this.d.messages.beforeTime(
      caller,
      relationId,
      lastTimeSec * 1000,
      page,
    );
    return MessageService.page(rows, total, msgInfoWithRly);
  }

  async feed(caller: number, lastTimeSec: number, page: Page) {
    const { rows, total } = await this.d.messages.feed(caller, lastTimeSec * 1000, page);
    return MessageService.page(rows, total, (v) => ({ ...msgInfoWithRly(v), has_read: v.hasRead }));
  }

  async pinned(caller: number, relationId: number, page: Page) {
    await this.requireMember(caller, relationId);
    const { rows, total } = await this.d.messages.pinned(caller, relationId, page);
    return MessageService.page(rows, total, msgInfo);
  }

  async replies(caller: number, relationId: number, rlyMsgId: number, page: Page) {
    await this.requireMember(caller, relationId);
    const { rows, total } = await this.d.messages.replies(caller, relationId, rlyMsgId, page);
    return MessageService.page(rows, total, msgInfo);
  }

  async search(caller: number, relationId: number, content: string, page: Page) {
    if (relationId > 0) await this.requireMember(caller, relationId);
    const found = this.d.messages.search(caller, relationId, content, page);
    if (!found) throw new InvalidInputError('content: must contain a non-space character');
    const { rows, total } = await found;
    return MessageService.page(rows, total, briefMsgInfo);
  }

  async top(caller: number, relationId: number) {
    await this.requireMember(caller, relationId);
    const top = await this.d.messages.top(caller, relationId);
    return top ? { msg_info: msgInfo(top) } : null;
  }

  /**
   * Sync (docs/api.md `POST /api/msg/sync`): for each named relation the caller belongs to,
   * the messages after the sequence number it has seen, in order, and, when it sends the
   * change number of its last sync, the messages it already has that changed since, in
   * change order; `has_more` asks for another call from the new position. Relations the
   * caller does not belong to answer 2009, so a client never silently misses one.
   */
  async sync(
    caller: number,
    relations: { relation_id: number; after_seq: number; after_change?: number }[],
    limit: number,
  ) {
    // A relation named twice is synced once, from the earlier of its positions: the smaller
    // after_seq and the smaller after_change (absent only when every entry leaves it out).
    const from = new Map<number, { afterSeq: number; afterChange: number | null }>();
    for (const { relation_id, after_seq, after_change } of relations) {
      const known = from.get(relation_id);
      const change = after_change ?? null;
      from.set(relation_id, {
        afterSeq: Math.min(after_seq, known?.afterSeq ?? after_seq),
        afterChange:
          known === undefined || known.afterChange === null
            ? change
            : change === null
              ? known.afterChange
              : Math.min(change, known.afterChange),
      });
    }
    const perRelation = Math.max(1, Math.min(limit, Math.floor(SYNC_MAX_MESSAGES / from.size)));
    const list = [];
    for (const [relation_id, { afterSeq, afterChange }] of from) {
      await this.requireMember(caller, relation_id);
      const r = await this.d.messages.syncRelation(
        caller,
        relation_id,
        afterSeq,
        afterChange,
        perRelation,
      );
      list.push({
        relation_id,
        messages: r.rows.map(msgInfoWithRly),
        last_seq: r.lastSeq,
        changed: r.changed.map(msgInfoWithRly),
        last_change: r.lastChange,
        has_more: r.hasMore,
        unread_mentions: await this.d.messages.unreadMentions(caller, relation_id),
      });
    }
    return { list };
  }

  /**
   * The message's state, null when there is no such message. A client changes messages by
   * the ids of its acks, and an acked message may not be stored yet: a recent missing id is
   * looked up again for about a second (`findAckedMessage`).
   */
  private stateOf(id: number) {
    return findAckedMessage(this.d.ids.timeOf(id), () => this.d.messages.state(id));
  }

  /** A message of this relation the caller may change: 2009 / 5001 (docs/pitfalls.md §10). */
  private async messageIn(caller: number, relationId: number, id: number) {
    await this.requireMember(caller, relationId);
    const state = await this.stateOf(id);
    if (!state || state.relationId !== relationId) throw new AppError(ErrorCode.MessageNotFound);
    return state;
  }

  private stateEvent(
    relationId: number,
    members: number[],
    type: StateType,
    msgId: number,
    state: boolean,
  ): ChatEventDraft {
    return {
      key: `relation:${relationId}`,
      push: {
        event: PUSH_EVENTS.updateMsgState,
        data: { relation_id: relationId, type, msg_id: msgId, state },
        to: members,
      },
    };
  }

  /** PUT /api/msg/update/pin */
  async setPin(caller: number, relationId: number, id: number, isPin: boolean): Promise<void> {
    const msg = await this.messageIn(caller, relationId, id);
    if (isPin && msg.isRevoke) throw new AppError(ErrorCode.MessageRevoked);
    await this.d.work.run(async (outbox) => {
      const outcome = await this.d.messages.setPin(id, isPin);
      if (outcome === 'revoked') throw new AppError(ErrorCode.MessageRevoked);
      if (outcome === 'unchanged') return;
      const members = await this.d.membership.members(relationId);
      outbox.events([this.stateEvent(relationId, members, 'pin', id, isPin)]);
    });
  }

  /** PUT /api/msg/update/top: one top message per relation, then the system message. */
  async setTop(caller: number, relationId: number, id: number, isTop: boolean): Promise<void> {
    const msg = await this.messageIn(caller, relationId, id);
    if (isTop && msg.isRevoke) throw new AppError(ErrorCode.MessageRevoked);
    await this.d.work.run(async (outbox) => {
      const { changed, previousTop, revoked } = await this.d.messages.setTop(relationId, id, isTop);
      if (revoked) throw new AppError(ErrorCode.MessageRevoked);
      if (!changed) return;
      const members = await this.d.membership.members(relationId);
      const events: ChatEventDraft[] = [];
      if (previousTop !== null)
        events.push(this.stateEvent(relationId, members, 'top', previousTop, false));
      events.push(this.stateEvent(relationId, members, 'top', id, isTop));
      outbox.events(events);
      const text = isTop ? SYSTEM_TEXTS.pinnedTop(caller) : SYSTEM_TEXTS.removedTop(caller);
      outbox.message(systemMessage(this.d.ids, relationId, text));
    });
  }

  /** PUT /api/msg/update/revoke: only the sender; clears pin and top in the same statement. */
  async revoke(caller: number, id: number): Promise<void> {
    const msg = await this.stateOf(id);
    if (!msg) throw new AppError(ErrorCode.MessageNotFound);
    if (msg.accountId !== caller)
      throw new AppError(ErrorCode.PermissionDenied, 'only the sender can revoke');
    if (msg.isRevoke) throw new AppError(ErrorCode.MessageRevoked);
    await this.d.work.run(async (outbox) => {
      const done = await this.d.messages.revoke(id);
      if (!done) throw new AppError(ErrorCode.MessageRevoked);
      const members = await this.d.membership.members(msg.relationId);
      const events = [this.stateEvent(msg.relationId, members, 'revoke', id, true)];
      if (done.wasPinned) events.push(this.stateEvent(msg.relationId, members, 'pin', id, false));
      if (done.wasTop) events.push(this.stateEvent(msg.relationId, members, 'top', id, false));
      outbox.events(events);
      if (done.wasTop) {
        outbox.message(systemMessage(this.d.ids, msg.relationId, SYSTEM_TEXTS.removedTop(caller)));
      }
    });
  }

  /** GET /api/msg/list/mention: messages mentioning the caller, newest first. */
  async mentions(caller: number, relationId: number, page: Page) {
    if (relationId > 0) await this.requireMember(caller, relationId);
    const { rows, total } = await this.d.messages.mentions(caller, relationId, page);
    return MessageService.page(rows, total, msgInfoWithRly);
  }

  /**
   * PUT /api/msg/update/edit: the sender replaces the text of its text message within
   * `Message.EditWindowSeconds` of sending it. The text, `edit_at` and the search grams
   * change in one transaction with the `edit_msg` push to every member.
   */
  async edit(caller: number, id: number, content: string): Promise<void> {
    const msg = await this.stateOf(id);
    if (!msg) throw new AppError(ErrorCode.MessageNotFound);
    if (msg.accountId !== caller)
      throw new AppError(ErrorCode.PermissionDenied, 'only the sender can edit');
    await this.requireMember(caller, msg.relationId);
    if (msg.isRevoke) throw new AppError(ErrorCode.MessageRevoked);
    if (msg.msgType !== 'text' || msg.notifyType !== 'common')
      throw new AppError(ErrorCode.MessageNotEditable);
    if (Date.now() - msg.createAt.getTime() > this.rules.editWindowMs)
      throw new AppError(ErrorCode.EditWindowPassed);
    await this.d.work.run(async (outbox) => {
      const editAt = await this.d.messages.editText(id, content);
      if (!editAt) throw new AppError(ErrorCode.MessageRevoked);
      const members = await this.d.membership.members(msg.relationId);
      outbox.events([
        {
          key: `relation:${msg.relationId}`,
          push: {
            event: PUSH_EVENTS.editMsg,
            data: {
              relation_id: msg.relationId,
              msg_id: id,
              msg_content: content,
              edit_at: editAt.toISOString(),
            },
            to: members,
          },
        },
      ]);
    });
  }

  /**
   * PUT /api/msg/update/reaction: adds (`state` true) or removes one emoji of the caller on
   * a message of a conversation it belongs to. Idempotent: a change that changes nothing
   * pushes nothing. Otherwise `msg_reaction` with the emoji's new count → every member.
   */
  async react(caller: number, id: number, emoji: string, add: boolean): Promise<void> {
    // One transaction looks the message and the membership up and changes the reaction;
    // only a message not stored yet (an ack a moment ago) is waited for first.
    if (await this.reactOnce(caller, id, emoji, add)) return;
    if (!(await this.stateOf(id))) throw new AppError(ErrorCode.MessageNotFound);
    if (!(await this.reactOnce(caller, id, emoji, add))) {
      throw new AppError(ErrorCode.MessageNotFound);
    }
  }

  /** `react` on a stored message; false when there is none of that id (nothing done). */
  private reactOnce(caller: number, id: number, emoji: string, add: boolean): Promise<boolean> {
    return this.d.work.run(async (outbox) => {
      const r = await this.d.messages.reactAsMember(
        id,
        caller,
        emoji,
        add,
        this.rules.maxReactions,
      );
      if (r.missing) return false;
      if (r.notMember) {
        throw new AppError(ErrorCode.PermissionDenied, 'not a member of this conversation');
      }
      const { change } = r;
      if (change.revoked) throw new AppError(ErrorCode.MessageRevoked);
      if (change.limited) throw new AppError(ErrorCode.TooManyReactions);
      if (!change.changed) return true;
      outbox.events([
        {
          key: `relation:${r.relationId}`,
          push: {
            event: PUSH_EVENTS.msgReaction,
            data: {
              relation_id: r.relationId,
              msg_id: id,
              account_id: caller,
              emoji,
              state: add,
              count: change.count,
            },
            to: r.members,
          },
        },
      ]);
      return true;
    });
  }
}
