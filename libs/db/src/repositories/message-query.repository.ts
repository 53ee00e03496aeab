import { idBoundForTime } from '@chat/ids';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MsgExtend } from '../entities/msg-extend';
import type {
  MessageList,
  MessageQueryRepository,
  MessageState,
  MemberReaction,
  MessageView,
  Page,
  ReactionChange,
  SyncPage,
} from '../ports/messages';
import { contentGrams, escapeLike, normalize, queryGrams } from '../search-grams';
import { toTextArrayLiteral } from '../types/text-array.type';
import { nextChange } from './change-stamp';
import { rows } from './sql';
import { joinWork } from './unit-of-work';

interface Row {
  id: string;
  relation_id: string;
  notify_type: 'common' | 'system';
  msg_type: 'text' | 'file';
  msg_content: string;
  msg_extend: MsgExtend | null;
  file_id: string | null;
  account_id: string | null;
  create_at: Date;
  is_revoke: boolean;
  is_top: boolean;
  is_pin: boolean;
  pin_time: Date;
  seq: string | null;
  edit_at: Date | null;
  mentioned_me: boolean;
  reactions: { emoji: string; count: number; me: boolean }[] | string;
  reply_count: string;
  read_ids: string[] | null;
  has_read: boolean;
  rly_id: string | null;
  rly_type: 'text' | 'file' | null;
  rly_content: string | null;
  rly_extend: MsgExtend | null;
  rly_revoke: boolean | null;
  change_seq: string | null;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

/**
 * The columns of a message view for caller `?` (the first five parameters are the caller).
 * reply_count is counted, read_ids derived from cursors (docs/data-model.md §2.5), never
 * stored; mentioned_me and reactions are the caller's view of `message_mention` and
 * `message_reaction` (most used first, ties by first use).
 */
const VIEW = `
  m.id, m.relation_id, m.notify_type, m.msg_type, m.msg_content, m.msg_extend, m.file_id,
  m.account_id, m.create_at, m.is_revoke, m.is_top, m.is_pin, m.pin_time, m.seq, m.edit_at,
  (not m.is_revoke and exists(select 1 from message_mention mm
                               where mm.message_id = m.id and mm.account_id = ?)) as mentioned_me,
  coalesce((select json_agg(json_build_object('emoji', x.emoji, 'count', x.n, 'me', x.me)
                            order by x.n desc, x.first, x.emoji)
              from (select emoji, count(*) as n, bool_or(account_id = ?) as me, min(create_at) as first
                      from message_reaction where message_id = m.id group by emoji) x),
           '[]'::json) as reactions,
  (select count(*) from message c where c.relation_id = m.relation_id and c.rly_msg_id = m.id) as reply_count,
  case when m.account_id = ? then array(
    select rc.account_id from read_cursor rc
     where rc.relation_id = m.relation_id and rc.account_id <> ? and rc.last_read_msg_id >= m.id
     order by rc.account_id) end as read_ids,
  (m.account_id is not distinct from ?::bigint or m.id <= coalesce(me.last_read_msg_id, 0)) as has_read,
  r.id as rly_id, r.msg_type as rly_type, r.msg_content as rly_content,
  r.msg_extend as rly_extend, r.is_revoke as rly_revoke, m.change_seq`;

/** Joins: the replied-to message (same relation only) and the caller's own cursor. */
const FROM = `
  from message m
  left join message r on r.id = m.rly_msg_id and r.relation_id = m.relation_id
  left join read_cursor me on me.relation_id = m.relation_id and me.account_id = ?`;

function toView(r: Row): MessageView {
  return {
    id: Number(r.id),
    relationId: Number(r.relation_id),
    notifyType: r.notify_type,
    msgType: r.msg_type,
    msgContent: r.msg_content,
    msgExtend: r.msg_extend,
    fileId: num(r.file_id),
    accountId: num(r.account_id),
    createAt: new Date(r.create_at),
    isRevoke: r.is_revoke,
    isTop: r.is_top,
    isPin: r.is_pin,
    pinTime: new Date(r.pin_time),
    seq: num(r.seq),
    editAt: r.edit_at === null ? null : new Date(r.edit_at),
    mentionedMe: r.mentioned_me,
    reactions: (typeof r.reactions === 'string' ? JSON.parse(r.reactions) : r.reactions).map(
      (x: { emoji: string; count: number | string; me: boolean }) => ({
        emoji: x.emoji,
        count: Number(x.count),
        me: x.me,
      }),
    ),
    replyCount: Number(r.reply_count),
    readIds: r.read_ids === null ? null : r.read_ids.map(Number),
    hasRead: r.has_read,
    rly:
      r.rly_id === null
        ? null
        : {
            id: Number(r.rly_id),
            msgType: r.rly_type!,
            msgContent: r.rly_content!,
            msgExtend: r.rly_extend,
            isRevoke: r.rly_revoke!,
          },
  };
}

/**
 * Reads and state changes of stored messages for the message area (docs/api.md §11). Inserting
 * is the persister's job; this never inserts.
 */
export class PgMessageQueryRepository implements MessageQueryRepository {
  constructor(private readonly root: EntityManager) {}

  /** The caller's views of the messages `where` selects, in `order`, with `limit`. */
  private select(
    caller: number,
    where: string,
    params: unknown[],
    order: string,
    limit: string,
  ): Promise<Row[]> {
    return rows<Row>(
      joinWork(this.root),
      `select ${VIEW} ${FROM} where ${where} order by ${order}${limit}`,
      [caller, caller, caller, caller, caller, caller, ...params],
    );
  }

  private async list(
    caller: number,
    where: string,
    params: unknown[],
    order: string,
    page: Page | null,
  ): Promise<MessageList> {
    const em = joinWork(this.root);
    const limit = page ? ` limit ${page.pageSize} offset ${(page.page - 1) * page.pageSize}` : '';
    const [found, [count]] = await Promise.all([
      this.select(caller, where, params, order, limit),
      page
        ? rows<{ n: string }>(em, `select count(*) as n from message m where ${where}`, params)
        : Promise.resolve([{ n: '0' }]),
    ]);
    return { rows: found.map(toView), total: page ? Number(count.n) : found.length };
  }

  /** list/time: created strictly before `beforeMs`, oldest first (time bound → id bound). */
  beforeTime(caller: number, relationId: number, beforeMs: number, page: Page) {
    return this.list(
      caller,
      'm.relation_id = ? and m.id < ?',
      [relationId, idBoundForTime(beforeMs)],
      'm.id',
      page,
    );
  }

  /** list/feed: every relation of the caller, created strictly after `afterMs`, oldest first. */
  feed(caller: number, afterMs: number, page: Page) {
    return this.list(
      caller,
      'm.relation_id in (select relation_id from setting where account_id = ?) and m.id >= ?',
      [caller, idBoundForTime(afterMs + 1)],
      'm.id',
      page,
    );
  }

  /** list/pin: most recently pinned first. */
  pinned(caller: number, relationId: number, page: Page) {
    return this.list(
      caller,
      'm.relation_id = ? and m.is_pin',
      [relationId],
      'm.pin_time desc, m.id desc',
      page,
    );
  }

  /** list/rly: replies to one message, oldest first. */
  replies(caller: number, relationId: number, rlyMsgId: number, page: Page) {
    return this.list(
      caller,
      'm.relation_id = ? and m.rly_msg_id = ?',
      [relationId, rlyMsgId],
      'm.id',
      page,
    );
  }

  async top(caller: number, relationId: number): Promise<MessageView | null> {
    const { rows: found } = await this.list(
      caller,
      'm.relation_id = ? and m.is_top',
      [relationId],
      'm.id',
      null,
    );
    return found[0] ?? null;
  }

  /**
   * Sync of one relation (docs/api.md `POST /api/msg/sync`): the messages after `afterSeq`
   * in sequence order, and, when `afterChange` is given, the messages up to `afterSeq`
   * changed after change number `afterChange`, in change order; at most `limit` of each.
   *
   * The relation's committed `last_seq` and `last_change` are read FIRST, in one statement,
   * and only then the messages: a change that commits after that read has a number above
   * the `last_change` answered (see change-stamp.ts), so the next sync from it brings the
   * change back, whether the message came in `messages` or `changed` (or not yet). Changes
   * are read up to that `last_change` only, so a later one is never skipped by a client
   * that moves its position past it.
   *
   * The change page never ends inside a group of messages that share one number (a top
   * that un-topped another): the position it answers must cover all or none of them.
   */
  async syncRelation(
    caller: number,
    relationId: number,
    afterSeq: number,
    afterChange: number | null,
    limit: number,
  ): Promise<SyncPage> {
    const [rel] = await rows<{ last_seq: string; last_change: string }>(
      joinWork(this.root),
      `select r.last_seq, coalesce(c.last_change, 0) as last_change
         from relation r left join relation_change c on c.relation_id = r.id
        where r.id = ?`,
      [relationId],
    );
    const lastSeq = rel ? Number(rel.last_seq) : 0;
    const lastChange = rel ? Number(rel.last_change) : 0;
    const wantChanges = afterChange !== null && afterChange < lastChange;
    const [found, changedRows] = await Promise.all([
      this.select(
        caller,
        'm.relation_id = ? and m.seq > ?',
        [relationId, afterSeq],
        'm.seq',
        ` limit ${limit + 1}`,
      ),
      wantChanges
        ? this.select(
            caller,
            'm.relation_id = ? and m.change_seq > ? and m.change_seq <= ? and m.seq <= ?',
            [relationId, afterChange, lastChange, afterSeq],
            'm.change_seq, m.id',
            ` limit ${limit + 1}`,
          )
        : Promise.resolve([] as Row[]),
    ]);
    const messages = found.slice(0, limit).map(toView);
    let changed = changedRows;
    let changeTo = lastChange;
    let changesMore = false;
    if (changedRows.length > limit) {
      // More changes than the page takes: end the page before the first number not (wholly)
      // in it, and answer the last number it holds as the position to resume from.
      changesMore = true;
      const next = changedRows[limit].change_seq;
      changed = changedRows.slice(0, limit).filter((r) => r.change_seq !== next);
      if (!changed.length) {
        // One number on more messages than the page takes: all of them, past the limit.
        changed = await this.select(
          caller,
          'm.relation_id = ? and m.change_seq = ? and m.seq <= ?',
          [relationId, next, afterSeq],
          'm.id',
          '',
        );
      }
      // None left with that number: all changed again since, and come from `next` on.
      changeTo = Number(changed.length ? changed[changed.length - 1].change_seq : next);
    }
    return {
      rows: messages,
      changed: changed.map(toView),
      hasMore: found.length > limit || changesMore,
      lastSeq: Math.max(lastSeq, ...messages.map((m) => m.seq ?? 0)),
      lastChange: changeTo,
    };
  }

  /**
   * list/content (docs/data-model.md §3): the GIN index on `message_search.grams` narrows, within the
   * caller's relations, ILIKE confirms the substring on the message. `relationId` 0 searches
   * every relation of the caller. Newest first. A message is found once the indexer has
   * written its grams, a moment after it was stored. Null when the query has no grams (only
   * whitespace): the caller answers 1001.
   */
  search(caller: number, relationId: number, query: string, page: Page) {
    const grams = queryGrams(query);
    if (!grams.length) return null;
    const gramsLiteral = toTextArrayLiteral(grams);
    const likePattern = `%${escapeLike(normalize(query))}%`;
    const scope =
      relationId > 0
        ? 's.relation_id = ?'
        : 's.relation_id in (select relation_id from setting where account_id = ?)';
    return this.list(
      caller,
      // The candidates first, as an array: the planner cannot then start from the message
      // rows on an optimistic guess of the ILIKE's selectivity and scan them all.
      `m.id = any(array(select s.message_id from message_search s
                          where ${scope} and s.grams @> ?::text[]))
         and not m.is_revoke and m.msg_type = 'text' and m.msg_content ilike ? escape '\\'`,
      [relationId > 0 ? relationId : caller, gramsLiteral, likePattern],
      'm.id desc',
      page,
    );
  }

  async state(id: number): Promise<MessageState | null> {
    const [r] = await rows<{
      id: string;
      relation_id: string;
      account_id: string | null;
      is_revoke: boolean;
      is_pin: boolean;
      is_top: boolean;
      notify_type: 'common' | 'system';
      msg_type: 'text' | 'file';
      create_at: Date;
    }>(
      joinWork(this.root),
      `select id, relation_id, account_id, is_revoke, is_pin, is_top, notify_type, msg_type,
              create_at from message where id = ?`,
      [id],
    );
    return r
      ? {
          id: Number(r.id),
          relationId: Number(r.relation_id),
          accountId: num(r.account_id),
          isRevoke: r.is_revoke,
          isPin: r.is_pin,
          isTop: r.is_top,
          notifyType: r.notify_type,
          msgType: r.msg_type,
          createAt: new Date(r.create_at),
        }
      : null;
  }

  /**
   * Pins (pin_time = now) or unpins. The message's row is locked first, so a revoke that
   * commits between the caller's check and this change wins: `revoked` then, and nothing
   * changed. A change is stamped (`change-stamp.ts`); an unchanged pin is not.
   */
  async setPin(id: number, isPin: boolean): Promise<'changed' | 'unchanged' | 'revoked'> {
    return joinWork(this.root).transactional(async (em) => {
      const [m] = await rows<{ is_pin: boolean; is_revoke: boolean; relation_id: string }>(
        em,
        'select is_pin, is_revoke, relation_id from message where id = ? for no key update',
        [id],
      );
      if (!m || m.is_pin === isPin) return 'unchanged';
      if (isPin && m.is_revoke) return 'revoked';
      const n = await nextChange(em, Number(m.relation_id));
      await rows(
        em,
        `update message set is_pin = ?, pin_time = case when ? then now() else pin_time end,
                change_seq = ?
          where id = ?`,
        [isPin, isPin, n, id],
      );
      return 'changed';
    });
  }

  /**
   * Tops or un-tops; topping un-tops the relation's previous top message in the same
   * transaction (at most one per relation, docs/data-model.md §2.8). Concurrent tops of one relation
   * are serialised on the relation's row, so the later one wins and un-tops the earlier
   * (instead of both committing into the one-top index's unique violation). Topping is
   * conditional on the message not being revoked (`revoked`: nothing changed). Returns
   * whether this message changed and which other message lost the top; both take one
   * change number.
   */
  async setTop(
    relationId: number,
    id: number,
    isTop: boolean,
  ): Promise<{ changed: boolean; previousTop: number | null; revoked?: true }> {
    return joinWork(this.root).transactional(async (em) => {
      await rows(em, 'select 1 from relation where id = ? for update', [relationId]);
      const [msg] = await rows<{ is_revoke: boolean; is_top: boolean }>(
        em,
        'select is_revoke, is_top from message where id = ? and relation_id = ? for update',
        [id, relationId],
      );
      if (isTop && (!msg || msg.is_revoke)) {
        return { changed: false, previousTop: null, revoked: true };
      }
      if (!msg || msg.is_top === isTop) return { changed: false, previousTop: null };
      let previousTop: number | null = null;
      if (isTop) {
        const [prev] = await rows<{ id: string }>(
          em,
          'select id from message where relation_id = ? and is_top and id <> ? for no key update',
          [relationId, id],
        );
        previousTop = prev ? Number(prev.id) : null;
      }
      const n = await nextChange(em, relationId);
      if (previousTop !== null) {
        await rows(em, 'update message set is_top = false, change_seq = ? where id = ?', [
          n,
          previousTop,
        ]);
      }
      await rows(em, 'update message set is_top = ?, change_seq = ? where id = ?', [isTop, n, id]);
      return { changed: true, previousTop };
    });
  }

  /** Revokes and clears pin and top, stamped; null when it was already revoked (raced). */
  async revoke(id: number): Promise<{ wasPinned: boolean; wasTop: boolean } | null> {
    return joinWork(this.root).transactional(async (em) => {
      const [m] = await rows<{
        is_revoke: boolean;
        is_pin: boolean;
        is_top: boolean;
        relation_id: string;
      }>(em, 'select is_revoke, is_pin, is_top, relation_id from message where id = ? for update', [
        id,
      ]);
      if (!m || m.is_revoke) return null;
      const n = await nextChange(em, Number(m.relation_id));
      await rows(
        em,
        `update message set is_revoke = true, is_pin = false, is_top = false, change_seq = ?
          where id = ?`,
        [n, id],
      );
      return { wasPinned: m.is_pin, wasTop: m.is_top };
    });
  }

  /** list/mention: newest first, revoked ones left out; only relations the caller still belongs to. */
  mentions(caller: number, relationId: number, page: Page) {
    const scope =
      relationId > 0
        ? 'mm.relation_id = ?'
        : 'mm.relation_id in (select relation_id from setting where account_id = ?)';
    return this.list(
      caller,
      `m.id in (select mm.message_id from message_mention mm
                 where mm.account_id = ? and ${scope}) and not m.is_revoke`,
      [caller, relationId > 0 ? relationId : caller],
      'm.id desc',
      page,
    );
  }

  async unreadMentions(caller: number, relationId: number): Promise<number> {
    const [r] = await rows<{ n: string }>(
      joinWork(this.root),
      `select count(*) as n from message_mention mm
         join message m on m.id = mm.message_id and not m.is_revoke
        where mm.account_id = ? and mm.relation_id = ?
          and mm.message_id > coalesce((select last_read_msg_id from read_cursor
                                         where account_id = ? and relation_id = ?), 0)`,
      [caller, relationId, caller, relationId],
    );
    return Number(r?.n ?? 0);
  }

  /**
   * The new text, its search grams and its change stamp in one transaction. The grams are upserted: a message
   * the indexer has not reached yet gets them now, and the indexer's later insert of the
   * old text's grams is then skipped (it never overwrites).
   */
  async editText(id: number, content: string): Promise<Date | null> {
    return joinWork(this.root).transactional(async (em) => {
      const [m] = await rows<{ relation_id: string }>(
        em,
        `select relation_id from message
          where id = ? and not is_revoke and msg_type = 'text' for no key update`,
        [id],
      );
      if (!m) return null;
      const n = await nextChange(em, Number(m.relation_id));
      const [r] = await rows<{ edit_at: Date }>(
        em,
        `update message set msg_content = ?, edit_at = now(), change_seq = ?
          where id = ? returning edit_at`,
        [content, n, id],
      );
      await rows(
        em,
        `insert into message_search (message_id, relation_id, grams) values (?, ?, ?::text[])
         on conflict (message_id) do update set grams = excluded.grams`,
        [id, m.relation_id, toTextArrayLiteral(contentGrams(content))],
      );
      return new Date(r.edit_at);
    });
  }

  async react(
    id: number,
    accountId: number,
    emoji: string,
    add: boolean,
    maxDistinct: number,
  ): Promise<ReactionChange> {
    return inWork(this.root, async (em) => {
      // The message's row serialises the reactions of one message (the distinct limit).
      // It is locked before the change counter (`nextChange`), as every change does.
      const [msg] = await rows<{ is_revoke: boolean; relation_id: string }>(
        em,
        'select is_revoke, relation_id from message where id = ? for update',
        [id],
      );
      if (!msg || msg.is_revoke) {
        return { changed: false, count: await reactionCount(em, id, emoji), revoked: true };
      }
      return changeReaction(em, Number(msg.relation_id), id, accountId, emoji, add, maxDistinct);
    });
  }

  async reactAsMember(
    id: number,
    accountId: number,
    emoji: string,
    add: boolean,
    maxDistinct: number,
  ): Promise<MemberReaction> {
    return inWork(this.root, async (em) => {
      // As `react`: the message's row first, then (in `changeReaction`) the counter.
      const [msg] = await rows<{
        is_revoke: boolean;
        relation_id: string;
        member: boolean;
        members: (string | number)[];
      }>(
        em,
        `select m.is_revoke, m.relation_id,
                exists (select 1 from setting s
                         where s.account_id = ? and s.relation_id = m.relation_id) as member,
                array(select s.account_id from setting s
                       where s.relation_id = m.relation_id order by s.account_id) as members
           from message m where m.id = ? for update of m`,
        [accountId, id],
      );
      if (!msg) return { missing: true };
      const relationId = Number(msg.relation_id);
      if (!msg.member) return { notMember: true, relationId };
      const members = msg.members.map(Number);
      if (msg.is_revoke) {
        const count = await reactionCount(em, id, emoji);
        return { relationId, members, change: { changed: false, count, revoked: true } };
      }
      const change = await changeReaction(em, relationId, id, accountId, emoji, add, maxDistinct);
      return { relationId, members, change };
    });
  }
}

/**
 * `work` in the transaction of the unit of work when one is open (no savepoint: an error
 * rolls the whole unit back, and none of the callers goes on after one), else in a
 * transaction of its own.
 */
function inWork<T>(root: EntityManager, work: (em: EntityManager) => Promise<T>): Promise<T> {
  const em = joinWork(root);
  return em.getTransactionContext() ? work(em) : em.transactional(work);
}

async function reactionCount(em: EntityManager, id: number, emoji: string): Promise<number> {
  const [r] = await rows<{ n: string }>(
    em,
    'select count(*) as n from message_reaction where message_id = ? and emoji = ?',
    [id, emoji],
  );
  return Number(r.n);
}

/**
 * One statement for one reaction change on a message this transaction holds locked (so its
 * snapshot, taken after the lock, sees every reaction committed before): the distinct
 * limit, the insert or delete, and, when a row changed, the change stamp of
 * `change-stamp.ts` (the relation's counter row, the last lock, then the message row
 * written once). The emoji's count is read from the statement's snapshot, which does not
 * see its own insert or delete, so the change is added to it.
 */
async function changeReaction(
  em: EntityManager,
  relationId: number,
  id: number,
  accountId: number,
  emoji: string,
  add: boolean,
  maxDistinct: number,
): Promise<ReactionChange> {
  const stamp = `stamp as (
      insert into relation_change (relation_id, last_change)
      select ?, 1 where exists (select 1 from changed)
      on conflict (relation_id) do update set last_change = relation_change.last_change + 1
      returning last_change),
    stamped as (
      update message set change_seq = (select last_change from stamp)
       where id = ? and exists (select 1 from stamp) returning 1)`;
  const tail = `(select count(*) from changed) as changed_n,
      (select count(*) from message_reaction where message_id = ? and emoji = ?) as before_n,
      (select count(*) from stamped) as stamped_n`;
  const [r] = add
    ? await rows<{ changed_n: string; before_n: string; limited: boolean }>(
        em,
        `with known as (
           select count(distinct emoji) as distinct_n, coalesce(bool_or(emoji = ?), false) as has_emoji
             from message_reaction where message_id = ?),
         changed as (
           insert into message_reaction (message_id, account_id, emoji)
           select ?, ?, ? from known where has_emoji or distinct_n < ?
           on conflict do nothing returning 1),
         ${stamp}
         select (select not has_emoji and distinct_n >= ? from known) as limited, ${tail}`,
        [emoji, id, id, accountId, emoji, maxDistinct, relationId, id, maxDistinct, id, emoji],
      )
    : await rows<{ changed_n: string; before_n: string; limited: boolean }>(
        em,
        `with changed as (
           delete from message_reaction where message_id = ? and account_id = ? and emoji = ?
           returning 1),
         ${stamp}
         select false as limited, ${tail}`,
        [id, accountId, emoji, relationId, id, id, emoji],
      );
  if (r.limited) return { changed: false, count: 0, limited: true };
  const changed = Number(r.changed_n) > 0;
  const before = Number(r.before_n);
  return { changed, count: changed ? before + (add ? 1 : -1) : before };
}
