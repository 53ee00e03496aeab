import { ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import { waitFor, type WsPush } from '@chat/testing';
import { ok, type Reply } from './support/http';
import { frame, PushWatch, toEach } from './support/push-watch';
import { openSession, type Session } from './support/session';
import { startTargetStack, type TargetStack } from './support/target';

/** The fields of MsgInfoWithRly (docs/api.md §3) this suite reads. */
interface MsgInfo {
  id: number;
  relation_id: number;
  msg_content: string;
  seq: number;
  edit_at: string | null;
  mentioned_me: boolean;
  reactions: { emoji: string; count: number; me: boolean }[];
  rly_msg: { msg_id: number; msg_content: string } | null;
}

/** How long after sending a text stays editable in this suite (Message.EditWindowSeconds). */
const EDIT_WINDOW_S = 6;

/**
 * @-mentions, edits and reactions (docs/features.md; docs/api.md §11; docs/protocol.md §4)
 * through the whole pipeline: sends over the WebSocket (gateway → bus → persister →
 * notifier), changes over REST (domain → outbox → notifier), each seen on every member's
 * sockets and nowhere else, and in history, sync and search afterwards. ann leads the group
 * "crew" with bob and cat; dan is ann's friend but not in the group. ann has two devices
 * (one per gateway on the distributed target).
 */
describe('mentions, edits and reactions', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let cat: Session;
  let dan: Session;
  let crew: number;
  let watch: PushWatch;
  const ANN = ['ann1', 'ann2'];
  const MEMBERS = [...ANN, 'bob', 'cat'];

  beforeAll(async () => {
    stack = await startTargetStack(
      'e2e_msg_features',
      { MESSAGE_EDIT_WINDOW_SECONDS: String(EDIT_WINDOW_S), MESSAGE_MAX_REACTIONS: '3' },
      { gateways: 2, workers: true },
    );
    [ann, bob, cat, dan] = await Promise.all([
      openSession(stack, 'ann.features@example.com', 'ann'),
      openSession(stack, 'bob.features@example.com', 'bob'),
      openSession(stack, 'cat.features@example.com', 'cat'),
      openSession(stack, 'dan.features@example.com', 'dan'),
    ]);
    await ann.befriend(bob);
    await ann.befriend(cat);
    await ann.befriend(dan);
    crew = await ann.createGroup('crew', [bob, cat]);
    watch = await PushWatch.open(stack, [
      { name: 'ann1', token: ann.accountToken },
      { name: 'ann2', token: ann.accountToken },
      { name: 'bob', token: bob.accountToken },
      { name: 'cat', token: cat.accountToken },
      { name: 'dan', token: dan.accountToken },
    ]);
  }, 180_000);

  afterAll(async () => {
    await watch?.close();
    await stack?.stop();
  });

  /** Only the frames of the group: the set-up's pushes may still be on their way. */
  const inCrew = (p: WsPush) =>
    (p.data?.relation_id ?? p.data?.msg_info?.relation_id) === crew &&
    p.event !== PUSH_EVENTS.groupNewAccount;

  beforeEach(() => watch.mark());

  const put = (who: Session, path: string, body: unknown) =>
    who.api.put(path, { token: who.accountToken, body });
  const get = (who: Session, path: string, query: Record<string, string | number>) =>
    who.api.get(path, { token: who.accountToken, query });
  const code = (r: Reply) => r.status_code;

  async function history(viewer: Session): Promise<MsgInfo[]> {
    return ok(
      await get(viewer, '/api/msg/list/time', {
        relation_id: crew,
        last_time: Math.floor(Date.now() / 1000) + 3600,
        page_size: 100,
      }),
    ).list;
  }

  async function viewOf(viewer: Session, id: number): Promise<MsgInfo> {
    return waitFor(async () => (await history(viewer)).find((m) => m.id === id), {
      what: `message ${id} in ${viewer.name}'s history`,
    });
  }

  async function sync(viewer: Session) {
    const r = ok(
      await viewer.api.post('/api/msg/sync', {
        token: viewer.accountToken,
        body: { relations: [{ relation_id: crew, after_seq: 0 }], limit: 500 },
      }),
    );
    return r.list[0] as { messages: MsgInfo[]; unread_mentions: number };
  }

  /** Sends from a device's socket; returns the ack (status and data). */
  async function send(device: string, content: string, extra: Record<string, unknown> = {}) {
    return watch.socket(device).request('send_msg', {
      relation_id: crew,
      msg_content: content,
      ...extra,
    });
  }

  /**
   * Sends, waits until it is stored and its `send_msg` reached every other member device,
   * then marks: the checks after it see only what follows.
   */
  async function sendOk(device: string, who: Session, content: string, extra = {}) {
    const ack = await send(device, content, extra);
    expect([ack.status_code, ack.status_msg]).toEqual([0, 'ok']);
    const id = ack.data.msg_id as number;
    await viewOf(who, id);
    await waitFor(
      () =>
        MEMBERS.filter((d) => d !== device).every((d) =>
          watch.since(d).some((p) => p.event === PUSH_EVENTS.sendMsg && p.data.msg_info.id === id),
        ),
      { what: `the send_msg pushes of message ${id}` },
    );
    watch.mark();
    return id;
  }

  const sendMsg = (id: number, mentioned_me: boolean) =>
    frame(
      PUSH_EVENTS.sendMsg,
      expect.objectContaining({
        msg_info: expect.objectContaining({ id, mentioned_me, edit_at: null, reactions: [] }),
      }),
    );

  describe('mentions', () => {
    it('flags the mentioned member in its push, history and sync, drops non-members, lists them', async () => {
      const ack = await send('bob', 'hi @cat and @dan', {
        msg_extend: {
          remind: [
            { idx: 1, account_id: cat.accountId },
            { idx: 2, account_id: dan.accountId },
          ],
        },
      });
      expect(ack.status_code).toBe(0);
      const id = ack.data.msg_id as number;
      // bob's sending socket gets nothing; dan is not a member: nothing, and not mentioned.
      await watch.expect({ ...toEach(ANN, sendMsg(id, false)), cat: [sendMsg(id, true)] }, inCrew);

      expect((await viewOf(cat, id)).mentioned_me).toBe(true);
      expect((await viewOf(ann, id)).mentioned_me).toBe(false);
      expect((await viewOf(bob, id)).mentioned_me).toBe(false);
      const catSync = await sync(cat);
      expect(catSync.messages.find((m) => m.id === id)?.mentioned_me).toBe(true);
      expect(catSync.unread_mentions).toBe(1);
      expect((await sync(ann)).unread_mentions).toBe(0);

      const mine = ok(await get(cat, '/api/msg/list/mention', { relation_id: crew }));
      expect(mine.total).toBe(1);
      expect(mine.list.map((m: MsgInfo) => [m.id, m.mentioned_me])).toEqual([[id, true]]);
      expect(ok(await get(cat, '/api/msg/list/mention', {})).total).toBe(1);
      expect(ok(await get(dan, '/api/msg/list/mention', {})).total).toBe(0);
      expect(code(await get(dan, '/api/msg/list/mention', { relation_id: crew }))).toBe(
        ErrorCode.PermissionDenied,
      );

      // Reading past it clears the unread count.
      const read = await watch
        .socket('cat')
        .request('read_msg', { relation_id: crew, msg_ids: [id] });
      expect(read.status_code).toBe(0);
      await waitFor(async () => (await sync(cat)).unread_mentions === 0, {
        what: 'the unread mention count after read_msg',
      });
      // The read reaches the sender as a push, which may come after the sync shows it
      // (distributed: through the bus): wait for it so the next case starts from silence.
      await watch.expect(
        {
          bob: [
            frame(
              PUSH_EVENTS.readMsg,
              expect.objectContaining({ reader_id: cat.accountId, msg_ids: [id] }),
            ),
          ],
        },
        inCrew,
      );
    });

    it('takes @all from the leader only: 5009 for anyone else, nothing stored or pushed', async () => {
      const refused = await send('bob', '@all hello', { msg_extend: { remind: [], all: true } });
      expect(refused.status_code).toBe(ErrorCode.MentionAllNotLeader);
      await watch.expectNothing(inCrew);

      const ack = await send('ann1', '@all meeting', { msg_extend: { remind: [], all: true } });
      expect(ack.status_code).toBe(0);
      const id = ack.data.msg_id as number;
      await watch.expect(
        { ann2: [sendMsg(id, false)], bob: [sendMsg(id, true)], cat: [sendMsg(id, true)] },
        inCrew,
      );
      expect((await viewOf(bob, id)).mentioned_me).toBe(true);
      expect((await viewOf(ann, id)).mentioned_me).toBe(false);
    });
  });

  describe('edit', () => {
    it('changes the text for every member, in history, replies, sync and search', async () => {
      const id = await sendOk('bob', bob, 'frst draft');
      const replyId = await sendOk('cat', cat, 'what draft?', { rly_msg_id: id });

      ok(await put(bob, '/api/msg/update/edit', { id, msg_content: 'first version' }));
      const edited = frame(PUSH_EVENTS.editMsg, {
        relation_id: crew,
        msg_id: id,
        msg_content: 'first version',
        edit_at: expect.any(String),
      });
      // A REST call has no socket: the caller's own connections hear it too.
      await watch.expect(toEach(MEMBERS, edited), inCrew);

      const seen = await viewOf(ann, id);
      expect(seen.msg_content).toBe('first version');
      expect(Date.parse(seen.edit_at!)).toBeGreaterThan(0);
      expect((await viewOf(ann, replyId)).rly_msg?.msg_content).toBe('first version');
      expect((await viewOf(ann, replyId)).edit_at).toBeNull();
      const synced = (await sync(cat)).messages.find((m) => m.id === id)!;
      expect([synced.msg_content, synced.edit_at]).toEqual(['first version', seen.edit_at]);
      const found = ok(
        await get(ann, '/api/msg/list/content', { content: 'version', relation_id: crew }),
      );
      expect(found.list.map((m: MsgInfo) => m.id)).toEqual([id]);
      const old = ok(
        await get(ann, '/api/msg/list/content', { content: 'frst', relation_id: crew }),
      );
      expect(old.total).toBe(0);
    });

    it('refuses others, revoked and file messages, and edits after the window', async () => {
      const id = await sendOk('bob', bob, 'mine');
      expect(code(await put(cat, '/api/msg/update/edit', { id, msg_content: 'x' }))).toBe(
        ErrorCode.PermissionDenied,
      );
      expect(code(await put(bob, '/api/msg/update/edit', { id: 1, msg_content: 'x' }))).toBe(
        ErrorCode.MessageNotFound,
      );
      expect(code(await put(bob, '/api/msg/update/edit', { id, msg_content: '' }))).toBe(
        ErrorCode.InvalidParams,
      );
      // A file message has no text to edit.
      const form = new FormData();
      form.set('relation_id', String(crew));
      form.set('file', new Blob(['notes']), 'notes.txt');
      const upload = await fetch(new URL('/api/msg/file', bob.api.baseUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${bob.accountToken}` },
        body: form,
      });
      const file = ok((await upload.json()) as Reply);
      await viewOf(bob, file.id);
      expect(code(await put(bob, '/api/msg/update/edit', { id: file.id, msg_content: 'x' }))).toBe(
        ErrorCode.MessageNotEditable,
      );
      const late = await sendOk('bob', bob, 'soon too late');
      ok(await put(bob, '/api/msg/update/revoke', { id }));
      expect(code(await put(bob, '/api/msg/update/edit', { id, msg_content: 'x' }))).toBe(
        ErrorCode.MessageRevoked,
      );
      await new Promise((r) => setTimeout(r, EDIT_WINDOW_S * 1000 + 500));
      expect(code(await put(bob, '/api/msg/update/edit', { id: late, msg_content: 'x' }))).toBe(
        ErrorCode.EditWindowPassed,
      );
      // Only the revoke was pushed.
      await watch.expect(
        toEach(
          MEMBERS,
          frame(PUSH_EVENTS.updateMsgState, {
            relation_id: crew,
            type: 'revoke',
            msg_id: id,
            state: true,
          }),
        ),
        (p) => inCrew(p) && p.event !== PUSH_EVENTS.sendMsg,
      );
    });
  });

  describe('reactions', () => {
    const react = (who: Session, id: number, emoji: string, state: boolean) =>
      put(who, '/api/msg/update/reaction', { id, emoji, state });
    const reaction = (id: number, who: Session, emoji: string, state: boolean, count: number) =>
      frame(PUSH_EVENTS.msgReaction, {
        relation_id: crew,
        msg_id: id,
        account_id: who.accountId,
        emoji,
        state,
        count,
      });

    it('adds and removes idempotently, pushes each change to the members, shows counts per viewer', async () => {
      const id = await sendOk('ann1', ann, 'react here');

      ok(await react(cat, id, '👍', true));
      ok(await react(cat, id, '👍', true)); // again: nothing changes, nothing pushed
      ok(await react(bob, id, '👍', true));
      ok(await react(bob, id, '🇫🇷', true));
      await watch.expect(
        toEach(
          MEMBERS,
          reaction(id, cat, '👍', true, 1),
          reaction(id, bob, '👍', true, 2),
          reaction(id, bob, '🇫🇷', true, 1),
        ),
        inCrew,
      );
      expect((await viewOf(cat, id)).reactions).toEqual([
        { emoji: '👍', count: 2, me: true },
        { emoji: '🇫🇷', count: 1, me: false },
      ]);
      expect((await sync(bob)).messages.find((m) => m.id === id)?.reactions).toEqual([
        { emoji: '👍', count: 2, me: true },
        { emoji: '🇫🇷', count: 1, me: true },
      ]);

      ok(await react(cat, id, '👍', false));
      ok(await react(cat, id, '👍', false));
      await watch.expect(toEach(MEMBERS, reaction(id, cat, '👍', false, 1)), inCrew);
      expect((await viewOf(cat, id)).reactions[0]).toEqual({ emoji: '👍', count: 1, me: false });
    });

    it('validates the emoji, membership and the distinct limit', async () => {
      const id = await sendOk('ann1', ann, 'limits');
      for (const bad of ['abc', '👍👍', '', 'x'.repeat(20)]) {
        expect(code(await react(bob, id, bad, true))).toBe(ErrorCode.InvalidParams);
      }
      expect(code(await react(dan, id, '👍', true))).toBe(ErrorCode.PermissionDenied);
      expect(code(await react(bob, 1, '👍', true))).toBe(ErrorCode.MessageNotFound);
      ok(await react(bob, id, '😀', true));
      ok(await react(bob, id, 'ok', true));
      ok(await react(cat, id, '+1', true));
      expect(code(await react(cat, id, '🎉', true))).toBe(ErrorCode.TooManyReactions);
      ok(await react(cat, id, 'ok', true)); // an existing emoji still counts up
      await watch.expect(
        toEach(
          MEMBERS,
          reaction(id, bob, '😀', true, 1),
          reaction(id, bob, 'ok', true, 1),
          reaction(id, cat, '+1', true, 1),
          reaction(id, cat, 'ok', true, 2),
        ),
        inCrew,
      );
      ok(await put(ann, '/api/msg/update/revoke', { id }));
      expect(code(await react(bob, id, '😀', false))).toBe(ErrorCode.MessageRevoked);
    });
  });
});
