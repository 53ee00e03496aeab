import { ErrorCode, PUSH_EVENTS, SYSTEM_TEXTS, type MsgExtend } from '@chat/protocol';
import { waitFor, type WsPush } from '@chat/testing';
import { ok, type Reply } from './support/http';
import type { MsgInfo as WireMsgInfo, RlyMsg } from './support/msg-info';
import { openSession, type Session } from './support/session';
import { closeEach, connectEach } from './support/sockets';
import { startTargetStack, type TargetStack } from './support/target';
import type { TestSocket } from './support/socket';

/** MsgInfo of docs/api.md §3, with the fields some lists add. */
interface MsgInfo extends WireMsgInfo {
  rly_msg?: RlyMsg | null;
  has_read?: boolean;
}

interface Page<T> {
  list: T[];
  total: number;
}

/** A message as it was sent: what its stored form must show. */
interface Sent {
  id: number;
  create_at: string;
  seq: number;
  /** null for a system message. */
  sender: Session | null;
  relationId: number;
  content: string;
  extend: MsgExtend | null;
}

/** Milliseconds given to a wrongly sent push to arrive before judging that none came. */
const SETTLE_MS = 300;

/**
 * The message history, feed, pin, search, top and reply lists of docs/api.md §11 and the read
 * receipts they carry (§3 MsgInfo `read_ids`, feed `has_read`; docs/data-model.md §2.5), with
 * exact contents, order and paging. Messages are really sent over the WebSocket and stored
 * by the pipeline (gateway, persister, notifier, and the indexer for search); reads are
 * `read_msg` frames (docs/protocol.md §3.3). Three people: ann, bob and cat, each a friend
 * of the other two, and the group "trio" that ann leads with bob and cat in it.
 */
describe('message lists over REST', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let cat: Session;
  let annSelf: number;
  let annBob: number;
  let annCat: number;
  let bobCat: number;
  let group: number;
  /** bob's group with cat, which ann left (the feed test makes it). */
  let duo: number;
  const sockets = new Map<Session, TestSocket>();
  /** The "became friends" system message of ann–bob, from its push. */
  let becameFriends: Sent;

  const socketOf = (who: Session) => sockets.get(who)!;
  const people = () => [ann, bob, cat];

  beforeAll(async () => {
    stack = await startTargetStack('e2e_messages', {}, { gateways: 1, workers: true });
    [ann, bob, cat] = await Promise.all([
      openSession(stack, 'ann.msgs@example.com', 'ann'),
      openSession(stack, 'bob.msgs@example.com', 'bob'),
      openSession(stack, 'cat.msgs@example.com', 'cat'),
    ]);
    // Connected before the friendships, so the "became friends" pushes arrive.
    await connectEach(stack, people(), sockets);
    annBob = await ann.befriend(bob);
    annCat = await ann.befriend(cat);
    bobCat = await bob.befriend(cat);
    group = await ann.createGroup('trio', [bob, cat]);
    annSelf = ok(
      await ann.api.get('/api/account/info', {
        token: ann.accountToken,
        query: { account_id: ann.accountId },
      }),
    ).relation_id;
    const push = await socketOf(bob).waitForPush(
      (p) =>
        p.event === PUSH_EVENTS.sendMsg &&
        p.data.msg_info.relation_id === annBob &&
        p.data.msg_info.notify_type === 'system',
      'the "became friends" message',
    );
    becameFriends = fromPush(push);
  }, 180_000);

  afterAll(async () => {
    await closeEach(sockets);
    await stack?.stop();
  });

  /** A stored message as a `send_msg` push describes it (docs/protocol.md §4). */
  function fromPush(push: WsPush): Sent {
    const m = push.data.msg_info as MsgInfo;
    return {
      id: m.id,
      create_at: m.create_at,
      seq: m.seq,
      sender: people().find((p) => p.accountId === m.account_id) ?? null,
      relationId: m.relation_id,
      content: m.msg_content,
      extend: m.msg_extend,
    };
  }

  /** `GET /api/msg/list/time` of everything up to an hour from now, one page of 200. */
  async function history(viewer: Session, relationId: number): Promise<MsgInfo[]> {
    return (
      await list<MsgInfo>(viewer, '/api/msg/list/time', {
        relation_id: relationId,
        last_time: Math.floor(Date.now() / 1000) + 3600,
        page_size: 200,
      })
    ).list;
  }

  async function list<T = MsgInfo>(
    viewer: Session,
    path: string,
    query: Record<string, string | number>,
  ): Promise<Page<T>> {
    return ok(await viewer.api.get<Page<T>>(path, { token: viewer.accountToken, query }));
  }

  /**
   * Sends a text message over `from`'s socket and waits until the history shows it: the ack
   * comes once the bus holds the record, the row a moment later (docs/protocol.md §3.2).
   */
  async function send(
    from: Session,
    relationId: number,
    content: string,
    more: { rly_msg_id?: number; msg_extend?: MsgExtend } = {},
  ): Promise<Sent> {
    const ack = await socketOf(from).request('send_msg', {
      relation_id: relationId,
      msg_content: content,
      ...more,
    });
    expect([ack.status_code, ack.status_msg]).toEqual([0, 'ok']);
    const id = ack.data.msg_id as number;
    // Its sequence number is known once stored; the tests of list/time check the numbering.
    const stored = await waitFor(
      async () => (await history(from, relationId)).find((m) => m.id === id),
      { what: `message "${content}" stored` },
    );
    return {
      id,
      create_at: ack.data.create_at,
      seq: stored.seq,
      sender: from,
      relationId,
      content,
      extend: more.msg_extend ?? null,
    };
  }

  /**
   * MsgInfo of a sent message as `viewer` sees it, untouched since sending: `read_ids` is
   * `[]` for its sender and null for anyone else (docs/api.md §3); `changes` on top.
   */
  function info(m: Sent, viewer: Session, changes: Partial<MsgInfo> = {}): MsgInfo {
    return {
      id: m.id,
      notify_type: m.sender ? 'common' : 'system',
      msg_type: 'text',
      msg_content: m.content,
      msg_extend: m.extend,
      file_id: 0,
      account_id: m.sender?.accountId ?? 0,
      relation_id: m.relationId,
      create_at: m.create_at,
      is_revoke: false,
      is_top: false,
      is_pin: false,
      pin_time: m.create_at,
      read_ids: m.sender === viewer ? [] : null,
      reply_count: 0,
      seq: m.seq,
      edit_at: null,
      // Mentioned: named in `remind` by someone else, and not revoked (docs/features.md).
      mentioned_me:
        !changes.is_revoke &&
        m.sender !== null &&
        m.sender !== viewer &&
        (m.extend?.remind.some((r) => r.account_id === viewer.accountId) ?? false),
      reactions: [],
      ...changes,
    };
  }

  /** RlyMsg of docs/api.md §3: content `""` and extend null once revoked. */
  function rly(m: Sent, revoked = false): RlyMsg {
    return {
      msg_id: m.id,
      msg_type: 'text',
      msg_content: revoked ? '' : m.content,
      msg_extend: revoked ? null : m.extend,
      is_revoke: revoked,
    };
  }

  /** `read_msg` over `reader`'s socket (docs/protocol.md §3.3); returns the cursor it answers. */
  async function read(reader: Session, relationId: number, msgIds: number[]): Promise<number> {
    const reply = await socketOf(reader).request('read_msg', {
      relation_id: relationId,
      msg_ids: msgIds,
    });
    expect([reply.status_code, reply.status_msg]).toEqual([0, 'ok']);
    return reply.data.last_read_msg_id as number;
  }

  /** `POST /api/msg/file` (docs/api.md §11): a small text file, under `name`. */
  async function uploadFile(
    from: Session,
    relationId: number,
    name: string,
  ): Promise<{ id: number; msg_content: string; file_id: number; create_at: string }> {
    const form = new FormData();
    form.set('relation_id', String(relationId));
    form.set('file', new Blob([Buffer.from('two eggs, flour, apples')]), name);
    const res = await fetch(new URL('/api/msg/file', from.api.baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${from.accountToken}` },
      body: form,
    });
    return ok({ http: res.status, ...((await res.json()) as Omit<Reply, 'http'>) });
  }

  /** `GET /api/msg/list/feed` after `lastTime`, one page of 200 unless told. */
  function feed(viewer: Session, lastTime: number, paging: Record<string, number> = {}) {
    return list(viewer, '/api/msg/list/feed', { last_time: lastTime, page_size: 200, ...paging });
  }

  /** A feed entry: MsgInfoWithRly plus `has_read` (docs/api.md §11). */
  function feedEntry(
    m: Sent,
    viewer: Session,
    hasRead: boolean,
    rlyMsg: RlyMsg | null = null,
    changes: Partial<MsgInfo> = {},
  ): MsgInfo {
    return { ...info(m, viewer, changes), rly_msg: rlyMsg, has_read: hasRead };
  }

  /** What a revoked message shows (docs/api.md §3 MsgInfo). */
  const revokedFields = { msg_content: '', msg_extend: null, is_revoke: true } as const;

  const unixSeconds = (time: string) => Math.floor(Date.parse(time) / 1000);

  /**
   * Waits until the clock has passed the next whole second and returns it (unix seconds):
   * messages sent before the call are created earlier than it, messages sent after are not.
   * `last_time` is in whole seconds (docs/api.md §1.2).
   */
  async function nextSecond(): Promise<number> {
    const second = Math.floor(Date.now() / 1000) + 1;
    await waitFor(() => Date.now() >= second * 1000, { what: `second ${second}` });
    return second;
  }

  function markPushes(): Map<Session, number> {
    return new Map(people().map((p) => [p, socketOf(p).pushes.length]));
  }

  function pushesSince(who: Session, mark: Map<Session, number>, keep: (p: WsPush) => boolean) {
    return socketOf(who).pushes.slice(mark.get(who)).filter(keep);
  }

  /**
   * The state pushes and system messages of one relation (docs/protocol.md §4), in arrival
   * order; the people's own messages are the tests' own sends.
   */
  const ofRelation = (relationId: number) => (p: WsPush) =>
    (p.event === PUSH_EVENTS.updateMsgState && p.data.relation_id === relationId) ||
    (p.event === PUSH_EVENTS.sendMsg &&
      p.data.msg_info.relation_id === relationId &&
      p.data.msg_info.notify_type === 'system');

  /** A push reduced to what a test compares: the state change, or who wrote what. */
  function brief(p: WsPush): unknown {
    return p.event === PUSH_EVENTS.sendMsg
      ? {
          event: p.event,
          notify_type: p.data.msg_info.notify_type,
          account_id: p.data.msg_info.account_id,
          msg_content: p.data.msg_info.msg_content,
        }
      : { event: p.event, ...p.data };
  }

  /**
   * Waits until the socket of each of ann, bob and cat has received `expected` (briefed) for
   * the relation since `mark`, gives a wrong extra push a moment, then compares exactly.
   */
  async function expectPushes(
    relationId: number,
    mark: Map<Session, number>,
    expected: unknown[],
  ): Promise<void> {
    const seen = (who: Session) => pushesSince(who, mark, ofRelation(relationId)).map(brief);
    await waitFor(() => people().every((who) => seen(who).length >= expected.length), {
      timeoutMs: 15_000,
      what: `${expected.length} pushes of relation ${relationId} at every member`,
    });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    for (const who of people()) {
      expect({ who: who.name, pushes: seen(who) }).toEqual({ who: who.name, pushes: expected });
    }
  }

  const stateChange = (relationId: number, type: string, msgId: number, state: boolean) => ({
    event: PUSH_EVENTS.updateMsgState,
    relation_id: relationId,
    type,
    msg_id: msgId,
    state,
  });

  const systemPush = (msgContent: string) => ({
    event: PUSH_EVENTS.sendMsg,
    notify_type: 'system',
    account_id: 0,
    msg_content: msgContent,
  });

  describe('GET /api/msg/list/time', () => {
    /** Everything sent to ann–bob by this block, in order, after "became friends". */
    const sent: Sent[] = [];

    it('lists a conversation oldest first, each message with its fields, reply and revoke', async () => {
      const mention = { remind: [{ idx: 1, account_id: bob.accountId }] };
      const hello = await send(ann, annBob, '@bob hello', { msg_extend: mention });
      const answer = await send(bob, annBob, 'hi ann', { rly_msg_id: hello.id });
      const doomed = await send(ann, annBob, 'soon gone', { msg_extend: mention });
      const aboutIt = await send(bob, annBob, 'about that', { rly_msg_id: doomed.id });
      ok(
        await ann.api.put('/api/msg/update/revoke', {
          token: ann.accountToken,
          body: { id: doomed.id },
        }),
      );
      sent.push(hello, answer, doomed, aboutIt);
      // Sequence numbers count from 1 in each conversation, "became friends" first.
      expect([becameFriends, ...sent].map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
      for (const viewer of [ann, bob]) {
        const page = await list(viewer, '/api/msg/list/time', {
          relation_id: annBob,
          last_time: Math.floor(Date.now() / 1000) + 60,
        });
        expect({ viewer: viewer.name, page }).toEqual({
          viewer: viewer.name,
          page: {
            total: 5,
            list: [
              { ...info(becameFriends, viewer), rly_msg: null },
              { ...info(hello, viewer, { reply_count: 1 }), rly_msg: null },
              { ...info(answer, viewer), rly_msg: rly(hello) },
              // Revoked: no content, no mention; it still counts the reply it had.
              { ...info(doomed, viewer, { ...revokedFields, reply_count: 1 }), rly_msg: null },
              // A reply to a revoked message shows it blanked.
              { ...info(aboutIt, viewer), rly_msg: rly(doomed, true) },
            ],
          },
        });
      }
      // The system message: no sender, fixed text (docs/api.md §3.1).
      expect(becameFriends).toMatchObject({ sender: null, content: SYSTEM_TEXTS.becameFriends });
    });

    it('returns what was created before last_time, ten to a page by default, in pages', async () => {
      for (let i = 1; i <= 8; i++) sent.push(await send(i % 2 ? ann : bob, annBob, `before ${i}`));
      const boundary = await nextSecond();
      const later = [await send(bob, annBob, 'after 1'), await send(ann, annBob, 'after 2')];
      // The boundary lies between the two batches (create_at is the time the server gave).
      expect(Date.parse(sent[sent.length - 1].create_at)).toBeLessThan(boundary * 1000);
      expect(Date.parse(later[0].create_at)).toBeGreaterThanOrEqual(boundary * 1000);
      const before = [becameFriends, ...sent];
      expect(before).toHaveLength(13);
      const ids = async (query: Record<string, number>) => {
        const page = await list(ann, '/api/msg/list/time', {
          relation_id: annBob,
          last_time: boundary,
          ...query,
        });
        return { total: page.total, ids: page.list.map((m) => m.id) };
      };
      const idsOf = (ms: Sent[]) => ms.map((m) => m.id);
      // Page 1 holds the earliest; `total` counts every message before last_time.
      expect(await ids({})).toEqual({ total: 13, ids: idsOf(before.slice(0, 10)) });
      expect(await ids({ page: 2 })).toEqual({ total: 13, ids: idsOf(before.slice(10)) });
      expect(await ids({ page: 3 })).toEqual({ total: 13, ids: [] });
      expect(await ids({ page: Number.MAX_SAFE_INTEGER })).toEqual({ total: 13, ids: [] });
      expect(await ids({ page_size: 4, page: 4 })).toEqual({
        total: 13,
        ids: idsOf(before.slice(12)),
      });
      expect(await ids({ page_size: 13 })).toEqual({ total: 13, ids: idsOf(before) });
      // Lenient paging (docs/api.md §1.3): page 0 is page 1, page size 0 the default.
      expect(await ids({ page: 0, page_size: 0 })).toEqual({
        total: 13,
        ids: idsOf(before.slice(0, 10)),
      });
      // A later last_time takes the later batch in; one before the first message, nothing.
      expect(await ids({ last_time: boundary + 3600, page_size: 200 })).toEqual({
        total: 15,
        ids: idsOf([...before, ...later]),
      });
      expect(await ids({ last_time: unixSeconds(before[0].create_at) })).toEqual({
        total: 0,
        ids: [],
      });
      // The older server's camelCase names are read as well (docs/api.md §1.3).
      const aliased = await list(ann, '/api/msg/list/time', {
        relationID: annBob,
        lastTime: boundary,
      });
      expect({ total: aliased.total, ids: aliased.list.map((m) => m.id) }).toEqual({
        total: 13,
        ids: idsOf(before.slice(0, 10)),
      });
      sent.push(...later);
    });

    it('answers 2009 to a non-member and 1001 without last_time', async () => {
      const stranger = await cat.api.get('/api/msg/list/time', {
        token: cat.accountToken,
        query: { relation_id: annBob, last_time: Math.floor(Date.now() / 1000) + 60 },
      });
      expect(stranger.status_code).toBe(ErrorCode.PermissionDenied);
      expect(stranger.data).toBeUndefined();
      const noTime = await ann.api.get('/api/msg/list/time', {
        token: ann.accountToken,
        query: { relation_id: annBob },
      });
      expect(noTime.status_code).toBe(ErrorCode.InvalidParams);
      expect(noTime.status_msg).toContain('last_time');
      const zero = await ann.api.get('/api/msg/list/time', {
        token: ann.accountToken,
        query: { relation_id: annBob, last_time: 0 },
      });
      expect(zero.status_code).toBe(ErrorCode.InvalidParams);
    });
  });

  describe('GET /api/msg/list/feed', () => {
    it('lists the messages after last_time of every conversation the caller is in now, oldest first', async () => {
      // bob's group with ann and cat in it: ann leaves it below, after a message was sent.
      duo = await bob.createGroup('duo', [ann, cat]);
      const since = await nextSecond();
      const note = await send(ann, annSelf, 'note to self');
      const fromBob = await send(bob, annBob, 'feed one');
      const inGroup = await send(cat, group, 'feed two');
      const leftBehind = await send(cat, duo, 'left behind');
      const notAnns = await send(bob, bobCat, 'between bob and cat');
      const middle = await nextSecond();
      const answer = await send(ann, group, 'feed three', { rly_msg_id: inGroup.id });
      const fromCat = await send(cat, annCat, 'feed four');
      ok(
        await ann.api.post('/api/group/quit', {
          token: ann.accountToken,
          body: { relation_id: duo },
        }),
      );
      expect(Date.parse(notAnns.create_at)).toBeLessThan(middle * 1000);
      expect(Date.parse(answer.create_at)).toBeGreaterThanOrEqual(middle * 1000);

      // ann: her self conversation, friendships and "trio"; not "duo", which she left, nor
      // bob–cat. has_read: she sent it, or her cursor reached it (she has read nothing).
      const annFeed = [
        feedEntry(note, ann, true),
        feedEntry(fromBob, ann, false),
        feedEntry(inGroup, ann, false, null, { reply_count: 1 }),
        feedEntry(answer, ann, true, rly(inGroup)),
        feedEntry(fromCat, ann, false),
      ];
      expect(await feed(ann, since)).toEqual({ total: 5, list: annFeed });
      // Strictly after last_time; pages of the same order.
      expect(await feed(ann, middle)).toEqual({ total: 2, list: annFeed.slice(3) });
      for (const [page, entries] of [
        [1, annFeed.slice(0, 2)],
        [2, annFeed.slice(2, 4)],
        [3, annFeed.slice(4)],
        [4, []],
      ] as const) {
        expect(await feed(ann, since, { page, page_size: 2 })).toEqual({
          total: 5,
          list: entries,
        });
      }
      // cat is still in "duo" and in bob–cat.
      expect(await feed(cat, since)).toEqual({
        total: 5,
        list: [
          feedEntry(inGroup, cat, true, null, { reply_count: 1 }),
          feedEntry(leftBehind, cat, true),
          feedEntry(notAnns, cat, false),
          feedEntry(answer, cat, false, rly(inGroup)),
          feedEntry(fromCat, cat, true),
        ],
      });
      expect(await feed(bob, since)).toEqual({
        total: 5,
        list: [
          feedEntry(fromBob, bob, true),
          feedEntry(inGroup, bob, false, null, { reply_count: 1 }),
          feedEntry(leftBehind, bob, false),
          feedEntry(notAnns, bob, true),
          feedEntry(answer, bob, false, rly(inGroup)),
        ],
      });

      // ann reads bob's message: her entry turns read, and bob sees her id on it.
      expect(await read(ann, annBob, [fromBob.id])).toBe(fromBob.id);
      await waitFor(
        async () => (await feed(ann, since)).list.find((m) => m.id === fromBob.id)?.has_read,
        { what: 'ann’s cursor stored' },
      );
      // Having left "duo", ann cannot read its history either.
      const formerMember = await ann.api.get('/api/msg/list/time', {
        token: ann.accountToken,
        query: { relation_id: duo, last_time: middle + 60 },
      });
      expect(formerMember.status_code).toBe(ErrorCode.PermissionDenied);
      annFeed[1] = feedEntry(fromBob, ann, true);
      expect(await feed(ann, since)).toEqual({ total: 5, list: annFeed });
      expect((await feed(bob, since)).list[0]).toEqual(
        feedEntry(fromBob, bob, true, null, { read_ids: [ann.accountId] }),
      );
    });
  });

  describe('GET /api/msg/list/pin and PUT /api/msg/update/pin', () => {
    const pins = (viewer: Session, paging: Record<string, number> = {}) =>
      list(viewer, '/api/msg/list/pin', { relation_id: group, ...paging });
    const setPin = (who: Session, m: Sent, isPin: boolean, relationId = m.relationId) =>
      who.api.put('/api/msg/update/pin', {
        token: who.accountToken,
        body: { id: m.id, relation_id: relationId, is_pin: isPin },
      });

    it('lists pinned messages most recently pinned first, through pins, unpins and a revoke', async () => {
      const first = await send(ann, group, 'pin one');
      const second = await send(bob, group, 'pin two');
      const third = await send(cat, group, 'pin three');
      expect(await pins(bob)).toEqual({ total: 0, list: [] });
      const mark = markPushes();
      /** The pin_time of each pinned message, as history shows it after the pin. */
      const pinTime = new Map<number, string>();
      /** A pin that changes the state: `pin_time` becomes the time of the call. */
      const pin = async (who: Session, m: Sent) => {
        const before = Date.now();
        ok(await setPin(who, m, true));
        const after = Date.now();
        const row = (await history(who, group)).find((r) => r.id === m.id)!;
        expect(row.is_pin).toBe(true);
        expect(Date.parse(row.pin_time)).toBeGreaterThanOrEqual(before);
        expect(Date.parse(row.pin_time)).toBeLessThanOrEqual(after);
        pinTime.set(m.id, row.pin_time);
      };
      const pinned = (viewer: Session, ms: Sent[]) =>
        ms.map((m) => info(m, viewer, { is_pin: true, pin_time: pinTime.get(m.id)! }));

      await pin(ann, first);
      await pin(bob, third);
      await pin(cat, second);
      for (const viewer of people()) {
        expect(await pins(viewer)).toEqual({
          total: 3,
          list: pinned(viewer, [second, third, first]),
        });
      }
      expect(await pins(bob, { page_size: 2 })).toEqual({
        total: 3,
        list: pinned(bob, [second, third]),
      });
      expect(await pins(bob, { page_size: 2, page: 2 })).toEqual({
        total: 3,
        list: pinned(bob, [first]),
      });

      // Pinning a pinned message changes nothing: not its time, not the order, no push.
      ok(await setPin(bob, first, true));
      expect(await pins(bob)).toEqual({ total: 3, list: pinned(bob, [second, third, first]) });

      // Unpinned: out of the list; history keeps when it was last pinned.
      ok(await setPin(ann, third, false));
      expect(await pins(cat)).toEqual({ total: 2, list: pinned(cat, [second, first]) });
      expect((await history(cat, group)).find((m) => m.id === third.id)).toEqual({
        ...info(third, cat, { pin_time: pinTime.get(third.id)! }),
        rly_msg: null,
      });
      ok(await setPin(ann, third, false)); // unchanged: no push

      // Pinned again: first in the list, with a later pin_time.
      const earlier = pinTime.get(third.id)!;
      await pin(bob, third);
      expect(Date.parse(pinTime.get(third.id)!)).toBeGreaterThan(Date.parse(earlier));
      expect(await pins(ann)).toEqual({ total: 3, list: pinned(ann, [third, second, first]) });

      // A revoke unpins (docs/api.md §11 revoke), and a revoked message cannot be pinned.
      ok(
        await bob.api.put('/api/msg/update/revoke', {
          token: bob.accountToken,
          body: { id: second.id },
        }),
      );
      expect(await pins(ann)).toEqual({ total: 2, list: pinned(ann, [third, first]) });
      const pinRevoked = await setPin(ann, second, true);
      expect(pinRevoked.status_code).toBe(ErrorCode.MessageRevoked);
      expect((await history(ann, group)).find((m) => m.id === second.id)).toEqual({
        ...info(second, ann, { ...revokedFields, pin_time: pinTime.get(second.id)! }),
        rly_msg: null,
      });
      // The id of a message of another conversation, with this one's id: 5001.
      expect((await setPin(ann, first, true, annBob)).status_code).toBe(ErrorCode.MessageNotFound);
      expect(await pins(cat)).toEqual({ total: 2, list: pinned(cat, [third, first]) });

      // Every member heard of each change, once, in order; of nothing that changed nothing.
      await expectPushes(group, mark, [
        stateChange(group, 'pin', first.id, true),
        stateChange(group, 'pin', third.id, true),
        stateChange(group, 'pin', second.id, true),
        stateChange(group, 'pin', third.id, false),
        stateChange(group, 'pin', third.id, true),
        stateChange(group, 'revoke', second.id, true),
        stateChange(group, 'pin', second.id, false),
      ]);
    });
  });

  describe('GET /api/msg/list/content', () => {
    /** BriefMsgInfo of docs/api.md §3. */
    const found = (m: Sent) => ({
      id: m.id,
      notify_type: 'common',
      msg_type: 'text',
      msg_content: m.content,
      msg_extend: m.extend,
      file_id: 0,
      account_id: m.sender!.accountId,
      relation_id: m.relationId,
      create_at: m.create_at,
    });
    const search = (
      viewer: Session,
      content: string,
      query: Record<string, number | string> = {},
    ) =>
      viewer.api.get<Page<ReturnType<typeof found>>>('/api/msg/list/content', {
        token: viewer.accountToken,
        query: { content, ...query },
      });
    const idsFound = async (viewer: Session, content: string, query = {}) =>
      ok(await search(viewer, content, { page_size: 200, ...query })).list.map((m) => m.id);

    it('finds the text messages containing the query, newest first, in pages', async () => {
      const doomed = await send(ann, group, 'apple to revoke');
      // Indexed before it is revoked, so that only the revoke can keep it out below.
      await waitFor(
        async () => (await idsFound(ann, 'apple to revoke', { relation_id: group })).length === 1,
        { what: 'the message to revoke indexed' },
      );
      ok(
        await ann.api.put('/api/msg/update/revoke', {
          token: ann.accountToken,
          body: { id: doomed.id },
        }),
      );
      // A file message whose URL holds the query: search finds text messages only.
      const file = await uploadFile(ann, group, 'recipe.apple');
      expect(file.msg_content).toMatch(/\.apple$/);
      const fileRow = await waitFor(
        async () => (await history(bob, group)).find((m) => m.id === file.id),
        { what: 'the file message stored' },
      );
      expect(fileRow).toEqual({
        ...info(
          {
            id: file.id,
            create_at: file.create_at,
            seq: fileRow.seq,
            sender: ann,
            relationId: group,
            content: file.msg_content,
            extend: null,
          },
          bob,
          { msg_type: 'file', file_id: file.file_id },
        ),
        rly_msg: null,
      });
      // Sent after the file: once they are found, the indexer has passed the file's record
      // (one relation's records are handled in order).
      const pie = await send(ann, group, 'Apple pie 苹果派');
      const juice = await send(bob, group, 'I like APPLE juice');
      const pineapple = await send(cat, group, 'pineapple');
      const phone = await send(bob, group, '苹果手机');
      await send(cat, group, 'apricot');
      const toBob = await send(ann, annBob, 'an apple for bob');
      const toCat = await send(bob, bobCat, 'an apple for cat');
      // A message is searchable a moment after it is stored (docs/api.md §11).
      await waitFor(
        async () => {
          const all = await idsFound(bob, 'apple');
          return [pie, juice, pineapple, toBob, toCat].every((m) => all.includes(m.id));
        },
        { what: 'the messages indexed' },
      );
      await waitFor(async () => (await idsFound(bob, '苹果')).includes(phone.id), {
        what: 'the Chinese message indexed',
      });

      const inGroup = (content: string, query: Record<string, number> = {}) =>
        search(cat, content, { relation_id: group, ...query });
      const apples = [pineapple, juice, pie];
      // Case-insensitive for A–Z; substrings; the revoked one and "apricot" are not found.
      for (const query of ['apple', 'APPLE', 'aPpLe']) {
        expect(ok(await inGroup(query))).toEqual({ total: 3, list: apples.map(found) });
      }
      expect(ok(await inGroup('苹果'))).toEqual({ total: 2, list: [phone, pie].map(found) });
      expect(ok(await inGroup('果'))).toEqual({ total: 2, list: [phone, pie].map(found) });
      expect(ok(await inGroup('le j'))).toEqual({ total: 1, list: [juice].map(found) });
      expect(ok(await inGroup('pear'))).toEqual({ total: 0, list: [] });
      expect(ok(await inGroup('apple', { page_size: 2 }))).toEqual({
        total: 3,
        list: [pineapple, juice].map(found),
      });
      expect(ok(await inGroup('apple', { page_size: 2, page: 2 }))).toEqual({
        total: 3,
        list: [pie].map(found),
      });
      // Without a relation (absent, empty or 0): every conversation of the caller, and only those.
      expect(ok(await search(ann, 'apple'))).toEqual({
        total: 4,
        list: [toBob, ...apples].map(found),
      });
      for (const everywhere of [0, '']) {
        expect(ok(await search(ann, 'apple', { relation_id: everywhere }))).toEqual({
          total: 4,
          list: [toBob, ...apples].map(found),
        });
      }
      // Anything else that is not a conversation id is refused, not read as "everywhere".
      for (const bad of [-1, 'any']) {
        expect((await search(ann, 'apple', { relation_id: bad })).status_code).toBe(
          ErrorCode.InvalidParams,
        );
      }
      expect(ok(await search(bob, 'apple'))).toEqual({
        total: 5,
        list: [toCat, toBob, ...apples].map(found),
      });
      // Refused: a query of spaces only (1001), a conversation of others (2009).
      expect((await search(ann, '  ')).status_code).toBe(ErrorCode.InvalidParams);
      expect((await search(ann, 'apple', { relation_id: bobCat })).status_code).toBe(
        ErrorCode.PermissionDenied,
      );
    });
  });

  describe('GET /api/msg/info/top and PUT /api/msg/update/top', () => {
    const top = (viewer: Session, relationId = group) =>
      viewer.api.get('/api/msg/info/top', {
        token: viewer.accountToken,
        query: { relation_id: relationId },
      });
    const setTop = (who: Session, m: Sent, isTop: boolean) =>
      who.api.put('/api/msg/update/top', {
        token: who.accountToken,
        body: { id: m.id, relation_id: m.relationId, is_top: isTop },
      });
    /** docs/api.md §11 (and §1.1): no top message is a success without `data`, not `null`. */
    const noTop = { http: 200, status_code: 0, status_msg: 'ok' };
    const expectTop = async (m: Sent | null) => {
      for (const viewer of people()) {
        const reply = await top(viewer);
        if (m) expect(ok(reply)).toEqual({ msg_info: info(m, viewer, { is_top: true }) });
        else expect(reply).toStrictEqual(noTop);
      }
    };

    it('answers without data while a conversation has no top message', async () => {
      await expectTop(null);
      expect(await top(ann, annBob)).toStrictEqual(noTop);
      expect((await top(ann, bobCat)).status_code).toBe(ErrorCode.PermissionDenied);
    });

    it('tops a message, replaces it, removes it: pushes and a stored system message each', async () => {
      const one = await send(ann, group, 'top one');
      const two = await send(bob, group, 'top two');
      let mark = markPushes();
      ok(await setTop(ann, one, true));
      await expectPushes(group, mark, [
        stateChange(group, 'top', one.id, true),
        systemPush(SYSTEM_TEXTS.pinnedTop(ann.accountId)),
      ]);
      await expectTop(one);
      // Each conversation has its own top message.
      expect(await top(ann, annBob)).toStrictEqual(noTop);

      // Another message: the former one loses the top first, in the same change.
      mark = markPushes();
      ok(await setTop(bob, two, true));
      await expectPushes(group, mark, [
        stateChange(group, 'top', one.id, false),
        stateChange(group, 'top', two.id, true),
        systemPush(SYSTEM_TEXTS.pinnedTop(bob.accountId)),
      ]);
      await expectTop(two);
      const rows = (await history(cat, group)).filter((m) => m.id === one.id || m.id === two.id);
      expect(rows).toEqual([
        { ...info(one, cat), rly_msg: null },
        { ...info(two, cat, { is_top: true }), rly_msg: null },
      ]);

      // Unchanged (top the top message, un-top another): no push, no system message.
      mark = markPushes();
      ok(await setTop(cat, two, true));
      ok(await setTop(cat, one, false));
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      for (const who of people()) expect(pushesSince(who, mark, ofRelation(group))).toEqual([]);
      await expectTop(two);

      mark = markPushes();
      ok(await setTop(cat, two, false));
      await expectPushes(group, mark, [
        stateChange(group, 'top', two.id, false),
        systemPush(SYSTEM_TEXTS.removedTop(cat.accountId)),
      ]);
      await expectTop(null);

      // The system messages are stored like any message, as pushed (docs/api.md §3.1).
      const pushed = socketOf(ann)
        .pushes.filter(ofRelation(group))
        .filter((p) => p.event === PUSH_EVENTS.sendMsg)
        .map(fromPush);
      expect(pushed.map((m) => m.content)).toEqual([
        SYSTEM_TEXTS.pinnedTop(ann.accountId),
        SYSTEM_TEXTS.pinnedTop(bob.accountId),
        SYSTEM_TEXTS.removedTop(cat.accountId),
      ]);
      expect((await history(bob, group)).filter((m) => m.notify_type === 'system')).toEqual(
        pushed.map((m) => ({ ...info(m, bob), rly_msg: null })),
      );
    });

    it('loses the top message to a revoke, and refuses to top a revoked message', async () => {
      const three = await send(cat, group, 'top three');
      let mark = markPushes();
      ok(
        await bob.api.put('/api/msg/update/pin', {
          token: bob.accountToken,
          body: { id: three.id, relation_id: group, is_pin: true },
        }),
      );
      ok(await setTop(ann, three, true));
      await expectPushes(group, mark, [
        stateChange(group, 'pin', three.id, true),
        stateChange(group, 'top', three.id, true),
        systemPush(SYSTEM_TEXTS.pinnedTop(ann.accountId)),
      ]);
      const pinTime = (await history(cat, group)).find((m) => m.id === three.id)!.pin_time;
      expect(ok(await top(cat))).toEqual({
        msg_info: info(three, cat, { is_top: true, is_pin: true, pin_time: pinTime }),
      });
      mark = markPushes();
      ok(
        await cat.api.put('/api/msg/update/revoke', {
          token: cat.accountToken,
          body: { id: three.id },
        }),
      );
      // docs/api.md §11 revoke: the revoke, the pin and the top it loses, then the message.
      await expectPushes(group, mark, [
        stateChange(group, 'revoke', three.id, true),
        stateChange(group, 'pin', three.id, false),
        stateChange(group, 'top', three.id, false),
        systemPush(SYSTEM_TEXTS.removedTop(cat.accountId)),
      ]);
      await expectTop(null);
      mark = markPushes();
      expect((await setTop(ann, three, true)).status_code).toBe(ErrorCode.MessageRevoked);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      for (const who of people()) expect(pushesSince(who, mark, ofRelation(group))).toEqual([]);
      await expectTop(null);
      expect((await history(ann, group)).find((m) => m.id === three.id)).toEqual({
        ...info(three, ann, { ...revokedFields, pin_time: pinTime }),
        rly_msg: null,
      });
    });
  });

  describe('GET /api/msg/list/rly', () => {
    const replies = (viewer: Session, to: Sent, query: Record<string, number> = {}) =>
      list(viewer, '/api/msg/list/rly', { relation_id: group, rly_msg_id: to.id, ...query });

    it('lists the replies to a message oldest first, in pages, revoked ones blanked', async () => {
      const question = await send(ann, group, 'question');
      const first = await send(bob, group, 'answer one', { rly_msg_id: question.id });
      const second = await send(cat, group, 'answer two', { rly_msg_id: question.id });
      const nested = await send(ann, group, 'about answer one', { rly_msg_id: first.id });
      await send(bob, group, 'not a reply');
      const third = await send(ann, group, 'answer three', { rly_msg_id: question.id });
      ok(
        await cat.api.put('/api/msg/update/revoke', {
          token: cat.accountToken,
          body: { id: second.id },
        }),
      );
      // MsgInfo (no rly_msg): a reply of a reply is not a reply to the question.
      const answers = (viewer: Session) => [
        info(first, viewer, { reply_count: 1 }),
        info(second, viewer, revokedFields),
        info(third, viewer),
      ];
      for (const viewer of people()) {
        expect(await replies(viewer, question)).toEqual({ total: 3, list: answers(viewer) });
      }
      expect(await replies(bob, question, { page_size: 2 })).toEqual({
        total: 3,
        list: answers(bob).slice(0, 2),
      });
      expect(await replies(bob, question, { page_size: 2, page: 2 })).toEqual({
        total: 3,
        list: answers(bob).slice(2),
      });
      expect(await replies(cat, first)).toEqual({ total: 1, list: [info(nested, cat)] });
      expect(await replies(cat, third)).toEqual({ total: 0, list: [] });
      // The question counts every reply, the revoked one too; in history a revoked reply
      // still says what it replied to.
      const rows = await history(cat, group);
      expect(rows.find((m) => m.id === question.id)).toEqual({
        ...info(question, cat, { reply_count: 3 }),
        rly_msg: null,
      });
      expect(rows.find((m) => m.id === second.id)).toEqual({
        ...info(second, cat, revokedFields),
        rly_msg: rly(question),
      });
      // The older server's name for the replied-to id is read as well (docs/api.md §1.3).
      expect(
        await list(bob, '/api/msg/list/rly', { relation_id: group, rlyMsgID: question.id }),
      ).toEqual({ total: 3, list: answers(bob) });
      // Asked in another conversation of the caller: its replies are not there.
      expect(
        await list(ann, '/api/msg/list/rly', { relation_id: annBob, rly_msg_id: question.id }),
      ).toEqual({ total: 0, list: [] });
      const stranger = await ann.api.get('/api/msg/list/rly', {
        token: ann.accountToken,
        query: { relation_id: bobCat, rly_msg_id: question.id },
      });
      expect(stranger.status_code).toBe(ErrorCode.PermissionDenied);
    });
  });

  describe('read receipts: read_ids and has_read', () => {
    const ascending = (...ids: number[]) => [...ids].sort((a, b) => a - b);

    it('shows the sender who read each message, and the reader what it read, by cursor', async () => {
      const since = await nextSecond();
      const first = await send(ann, group, 'read one');
      const second = await send(ann, group, 'read two');
      const third = await send(bob, group, 'read three');
      const ids = [first.id, second.id, third.id];
      const readIds = async (viewer: Session) =>
        (await history(viewer, group)).filter((m) => ids.includes(m.id)).map((m) => m.read_ids);
      const hasRead = async (viewer: Session) =>
        (await feed(viewer, since)).list.map((m) => [m.id, m.has_read]);
      const expectReads = async (
        readIdsOf: Record<string, (number[] | null)[]>,
        hasReadOf: Record<string, boolean[]>,
      ) => {
        for (const viewer of people()) {
          expect({ viewer: viewer.name, read_ids: await readIds(viewer) }).toEqual({
            viewer: viewer.name,
            read_ids: readIdsOf[viewer.name],
          });
          expect({ viewer: viewer.name, has_read: await hasRead(viewer) }).toEqual({
            viewer: viewer.name,
            has_read: ids.map((id, i) => [id, hasReadOf[viewer.name][i]]),
          });
        }
      };
      // Nobody has read anything: read_ids [] for the sender, null for anyone else; only
      // a sender has read its own messages.
      await expectReads(
        { ann: [[], [], null], bob: [null, null, []], cat: [null, null, null] },
        { ann: [true, true, false], bob: [false, false, true], cat: [false, false, false] },
      );

      // bob reads the first.
      expect(await read(bob, group, [first.id])).toBe(first.id);
      await waitFor(async () => (await readIds(ann))[0]?.length === 1, {
        what: 'bob’s cursor stored',
      });
      await expectReads(
        { ann: [[bob.accountId], [], null], bob: [null, null, []], cat: [null, null, null] },
        { ann: [true, true, false], bob: [true, false, true], cat: [false, false, false] },
      );

      // cat reads the third: a cursor covers every message up to it.
      expect(await read(cat, group, [third.id])).toBe(third.id);
      await waitFor(async () => (await readIds(bob))[2]?.length === 1, {
        what: 'cat’s cursor stored',
      });
      const bobAndCat = ascending(bob.accountId, cat.accountId);
      await expectReads(
        {
          ann: [bobAndCat, [cat.accountId], null],
          bob: [null, null, [cat.accountId]],
          cat: [null, null, null],
        },
        { ann: [true, true, false], bob: [true, false, true], cat: [true, true, true] },
      );
      // A read behind the cursor moves nothing; the reply names the stored cursor.
      expect(await read(cat, group, [first.id])).toBe(third.id);

      // bob reads the rest: his own message never lists him.
      expect(await read(bob, group, [second.id, third.id])).toBe(third.id);
      await waitFor(async () => (await readIds(ann))[1]?.length === 2, {
        what: 'bob’s second cursor stored',
      });
      await expectReads(
        {
          ann: [bobAndCat, bobAndCat, null],
          bob: [null, null, [cat.accountId]],
          cat: [null, null, null],
        },
        { ann: [true, true, false], bob: [true, true, true], cat: [true, true, true] },
      );
    });

    it('drops the receipts of a member who left the group', async () => {
      const message = await send(bob, duo, 'before you go');
      expect(await read(cat, duo, [message.id])).toBe(message.id);
      const readIds = async () =>
        (await history(bob, duo)).find((m) => m.id === message.id)!.read_ids;
      await waitFor(async () => (await readIds())?.length === 1, { what: 'cat’s cursor stored' });
      expect(await readIds()).toEqual([cat.accountId]);
      ok(
        await cat.api.post('/api/group/quit', {
          token: cat.accountToken,
          body: { relation_id: duo },
        }),
      );
      // docs/api.md §10 quit: the setting and the read cursor go.
      expect(await readIds()).toEqual([]);
    });
  });
});
