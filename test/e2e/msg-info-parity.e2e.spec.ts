import { PUSH_EVENTS, SYSTEM_TEXTS, type MsgExtend } from '@chat/protocol';
import { waitFor, type WsPush } from '@chat/testing';
import { ok, type Reply } from './support/http';
import type { MsgInfoWithRly as MsgInfo } from './support/msg-info';
import { openSession, type Session } from './support/session';
import { closeEach, connectEach } from './support/sockets';
import { startTargetStack, type TargetStack } from './support/target';
import type { TestSocket } from './support/socket';

/** One kind of message: its `send_msg` push and what happened to it after the push. */
interface Case {
  /** The `msg_info` of the push as bob's socket received it. */
  push: MsgInfo;
  /** null for a system message. */
  sender: Session | null;
  /**
   * The fields that legitimately changed after the push, with their values now; history
   * must show the push with exactly these changes.
   */
  changedSince: Partial<MsgInfo>;
  /** Changes since the push that differ by viewer (reactions' `me`). */
  changedFor?: (viewer: Session) => Partial<MsgInfo>;
}

/** The kinds of message compared, in the order they are made. */
const KINDS = [
  'system message "成为好友"',
  'plain text',
  'text with a mention (msg_extend)',
  'reply',
  'file message (POST /api/msg/file)',
  'reply to a file message',
  'revoked message',
  'reply to a revoked message',
  'system message of a top',
  'system message of an untop',
  'edited message',
  'message with reactions',
] as const;
type Kind = (typeof KINDS)[number];

/** Milliseconds given to a wrongly sent push to arrive before judging that none came. */
const SETTLE_MS = 300;

/**
 * One `msg_info` on the wire (docs/protocol.md §4 `send_msg`, docs/api.md §3 MsgInfoWithRly):
 * for every kind of message, the push a receiver got equals, field by field and in field
 * order, the entry the same receiver (and the sender) later reads from `GET /api/msg/list/time`
 * and from `POST /api/msg/sync`, apart from what changed after the push. ann and bob are
 * friends; ann makes every message, bob's socket receives them.
 */
describe('msg_info parity: the send_msg push and REST history', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let annBob: number;
  const sockets = new Map<Session, TestSocket>();
  const cases = new Map<Kind, Case>();

  const socketOf = (who: Session) => sockets.get(who)!;

  /** The `send_msg` pushes of the conversation a socket received, in arrival order. */
  const sendPushes = (who: Session): MsgInfo[] =>
    socketOf(who)
      .pushes.filter(
        (p: WsPush) => p.event === PUSH_EVENTS.sendMsg && p.data.msg_info.relation_id === annBob,
      )
      .map((p) => p.data.msg_info as MsgInfo);

  /** Waits for the push of message `id` at `who` and returns its `msg_info`. */
  async function pushOf(who: Session, id: number, what: string): Promise<MsgInfo> {
    const push = await socketOf(who).waitForPush(
      (p) => p.event === PUSH_EVENTS.sendMsg && p.data.msg_info.id === id,
      `the push of ${what} at ${who.name}`,
    );
    return push.data.msg_info as MsgInfo;
  }

  /** Waits for the next system message of the conversation at bob after `count` of them. */
  async function nextSystemPush(count: number, what: string): Promise<MsgInfo> {
    const systems = () => sendPushes(bob).filter((m) => m.notify_type === 'system');
    await waitFor(() => systems().length > count, { what: `the push of ${what}` });
    return systems()[count];
  }

  /** A text message over ann's socket (docs/protocol.md §3.2); returns bob's push of it. */
  async function send(
    content: string,
    more: { rly_msg_id?: number; msg_extend?: MsgExtend } = {},
  ): Promise<MsgInfo> {
    const ack = await socketOf(ann).request('send_msg', {
      relation_id: annBob,
      msg_content: content,
      ...more,
    });
    expect([ack.status_code, ack.status_msg]).toEqual([0, 'ok']);
    return pushOf(bob, ack.data.msg_id as number, `"${content}"`);
  }

  /** `POST /api/msg/file` by ann (docs/api.md §11): a small text file; returns bob's push. */
  async function sendFile(name: string): Promise<MsgInfo> {
    const form = new FormData();
    form.set('relation_id', String(annBob));
    form.set('file', new Blob([Buffer.from('flour, eggs, apples')]), name);
    const res = await fetch(new URL('/api/msg/file', ann.api.baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${ann.accountToken}` },
      body: form,
    });
    const data = ok({ http: res.status, ...((await res.json()) as Omit<Reply, 'http'>) });
    return pushOf(bob, data.id as number, `file "${name}"`);
  }

  const setTop = async (id: number, isTop: boolean) =>
    ok(
      await ann.api.put('/api/msg/update/top', {
        token: ann.accountToken,
        body: { id, relation_id: annBob, is_top: isTop },
      }),
    );

  /** `GET /api/msg/list/time` of the conversation as `viewer` sees it, one page of 200. */
  async function history(viewer: Session): Promise<MsgInfo[]> {
    const page = ok(
      await viewer.api.get<{ list: MsgInfo[]; total: number }>('/api/msg/list/time', {
        token: viewer.accountToken,
        query: {
          relation_id: annBob,
          last_time: Math.floor(Date.now() / 1000) + 3600,
          page_size: 200,
        },
      }),
    );
    expect(page.total).toBe(page.list.length);
    return page.list;
  }

  /** `POST /api/msg/sync` of the conversation from its start, as `viewer` sees it. */
  async function synced(viewer: Session): Promise<MsgInfo[]> {
    const data = ok(
      await viewer.api.post<{ list: { messages: MsgInfo[]; has_more: boolean }[] }>(
        '/api/msg/sync',
        {
          token: viewer.accountToken,
          body: { relations: [{ relation_id: annBob, after_seq: 0 }] },
        },
      ),
    );
    expect(data.list).toHaveLength(1);
    expect(data.list[0].has_more).toBe(false);
    return data.list[0].messages;
  }

  /**
   * What `viewer` must read for a case: the push, in its field order, with the changes made
   * since. `read_ids` is the one field that depends on the viewer rather than on time: in
   * history it lists the other members who have read the message for its sender, and is
   * null for anyone else (a system message has no sender, so null for all), whereas the one
   * push every receiver gets says `[]`, nobody has read a new message (docs/protocol.md §4).
   * Nobody reads in this suite, so the sender's history keeps `[]`.
   */
  function expectedFor(c: Case, viewer: Session): MsgInfo {
    return {
      ...c.push,
      ...c.changedSince,
      ...c.changedFor?.(viewer),
      read_ids: c.sender === viewer ? [] : null,
      // The pushes compared are bob's; ann, the sender of everything, is never mentioned.
      ...(viewer === bob ? {} : { mentioned_me: false }),
    };
  }

  beforeAll(async () => {
    stack = await startTargetStack('e2e_msg_info_parity', {}, { gateways: 1, workers: true });
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.parity@example.com', 'ann'),
      openSession(stack, 'bob.parity@example.com', 'bob'),
    ]);
    // Connected before the friendship, so the "成为好友" pushes arrive.
    await connectEach(stack, [ann, bob], sockets);
    annBob = await ann.befriend(bob);

    const friends = await nextSystemPush(0, 'the "成为好友" message');
    cases.set('system message "成为好友"', { push: friends, sender: null, changedSince: {} });

    // Replied to below, and topped then untopped, which leaves `is_top` as it was.
    const plain = await send('plain words');
    cases.set('plain text', { push: plain, sender: ann, changedSince: { reply_count: 1 } });

    const mention: MsgExtend = { remind: [{ idx: 1, account_id: bob.accountId }] };
    const mentioning = await send('@bob look', { msg_extend: mention });
    cases.set('text with a mention (msg_extend)', {
      push: mentioning,
      sender: ann,
      changedSince: {},
    });

    const reply = await send('a reply', { rly_msg_id: plain.id });
    cases.set('reply', { push: reply, sender: ann, changedSince: {} });

    const file = await sendFile('recipe.txt');
    cases.set('file message (POST /api/msg/file)', {
      push: file,
      sender: ann,
      changedSince: { reply_count: 1 },
    });

    const fileReply = await send('about the file', { rly_msg_id: file.id });
    cases.set('reply to a file message', { push: fileReply, sender: ann, changedSince: {} });

    // A reply to a revoked message is refused (5003), so the reply comes first: it is
    // pushed with the message it answers, which history blanks once that is revoked.
    const doomed = await send('soon gone', { msg_extend: mention });
    const aboutIt = await send('about that', { rly_msg_id: doomed.id });
    ok(
      await ann.api.put('/api/msg/update/revoke', {
        token: ann.accountToken,
        body: { id: doomed.id },
      }),
    );
    // Revoked after its push: history blanks it (docs/api.md §3) and counts its reply; a
    // revoked message mentions nobody any more.
    cases.set('revoked message', {
      push: doomed,
      sender: ann,
      changedSince: {
        msg_content: '',
        msg_extend: null,
        is_revoke: true,
        reply_count: 1,
        mentioned_me: false,
      },
    });
    // Its replied-to message was revoked after the push: history shows that one blanked.
    cases.set('reply to a revoked message', {
      push: aboutIt,
      sender: ann,
      changedSince: {
        rly_msg: {
          msg_id: doomed.id,
          msg_type: 'text',
          msg_content: '',
          msg_extend: null,
          is_revoke: true,
        },
      },
    });

    await setTop(plain.id, true);
    const topped = await nextSystemPush(1, 'the top system message');
    cases.set('system message of a top', { push: topped, sender: null, changedSince: {} });
    await setTop(plain.id, false);
    const untopped = await nextSystemPush(2, 'the untop system message');
    cases.set('system message of an untop', { push: untopped, sender: null, changedSince: {} });

    // Edited after its push: the new text and when (docs/features.md, Edit).
    const draft = await send('first draft');
    ok(
      await ann.api.put('/api/msg/update/edit', {
        token: ann.accountToken,
        body: { id: draft.id, msg_content: 'final text' },
      }),
    );
    const edit = await socketOf(bob).waitForPush(
      (p) => p.event === PUSH_EVENTS.editMsg && p.data.msg_id === draft.id,
      'the edit_msg push at bob',
    );
    cases.set('edited message', {
      push: draft,
      sender: ann,
      changedSince: { msg_content: 'final text', edit_at: edit.data.edit_at },
    });

    // Reacted to after its push: counts for all, `me` for each viewer.
    const liked = await send('like this');
    for (const [who, emoji] of [
      [bob, '👍'],
      [ann, '👍'],
      [bob, '🎉'],
    ] as const) {
      ok(
        await who.api.put('/api/msg/update/reaction', {
          token: who.accountToken,
          body: { id: liked.id, emoji, state: true },
        }),
      );
    }
    cases.set('message with reactions', {
      push: liked,
      sender: ann,
      changedSince: {},
      changedFor: (viewer) => ({
        reactions: [
          { emoji: '👍', count: 2, me: true },
          { emoji: '🎉', count: 1, me: viewer === bob },
        ],
      }),
    });
  }, 180_000);

  afterAll(async () => {
    await closeEach(sockets);
    await stack?.stop();
  });

  it('made every kind as intended, each pushed once to bob and in sequence order', async () => {
    const c = (kind: Kind) => cases.get(kind)!.push;
    expect([...cases.keys()]).toEqual(KINDS);
    // The push itself shows each kind as docs/protocol.md §4 describes a new message.
    expect(c('system message "成为好友"')).toMatchObject({
      notify_type: 'system',
      account_id: 0,
      msg_content: SYSTEM_TEXTS.becameFriends,
    });
    expect(c('text with a mention (msg_extend)').msg_extend).toEqual({
      remind: [{ idx: 1, account_id: bob.accountId }],
    });
    expect(c('reply').rly_msg).toEqual({
      msg_id: c('plain text').id,
      msg_type: 'text',
      msg_content: 'plain words',
      msg_extend: null,
      is_revoke: false,
    });
    expect(c('file message (POST /api/msg/file)')).toMatchObject({
      msg_type: 'file',
      account_id: ann.accountId,
      rly_msg: null,
    });
    expect(c('file message (POST /api/msg/file)').file_id).toBeGreaterThan(0);
    expect(c('reply to a file message').rly_msg).toMatchObject({
      msg_id: c('file message (POST /api/msg/file)').id,
      msg_type: 'file',
      msg_content: c('file message (POST /api/msg/file)').msg_content,
    });
    expect(c('revoked message')).toMatchObject({ msg_content: 'soon gone', is_revoke: false });
    // Not yet revoked when the reply was stored: the push shows it as it was.
    expect(c('reply to a revoked message').rly_msg).toEqual({
      msg_id: c('revoked message').id,
      msg_type: 'text',
      msg_content: 'soon gone',
      msg_extend: { remind: [{ idx: 1, account_id: bob.accountId }] },
      is_revoke: false,
    });
    expect(c('system message of a top').msg_content).toBe(SYSTEM_TEXTS.pinnedTop(ann.accountId));
    expect(c('system message of an untop').msg_content).toBe(
      SYSTEM_TEXTS.removedTop(ann.accountId),
    );
    for (const [kind, { push }] of cases) {
      expect({ kind, fields: push }).toMatchObject({
        kind,
        fields: {
          relation_id: annBob,
          is_revoke: false,
          is_top: false,
          is_pin: false,
          pin_time: push.create_at,
          read_ids: [],
          reply_count: 0,
          edit_at: null,
          reactions: [],
        },
      });
    }
    expect(c('text with a mention (msg_extend)').mentioned_me).toBe(true);
    expect(c('plain text').mentioned_me).toBe(false);

    // Every message once at bob, nothing else, in the order of its sequence numbers 1..n.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const made = [...cases.values()].map((x) => x.push);
    expect(sendPushes(bob).map((m) => [m.id, m.seq])).toEqual(made.map((m, i) => [m.id, i + 1]));
  });

  it('gives the sender the same msg_info as the receiver when a REST call made the message', async () => {
    // ann's socket did not send these, so it is pushed them too (docs/protocol.md §4); her
    // own WebSocket sends are not echoed to the sending socket.
    const restMade: Kind[] = [
      'system message "成为好友"',
      'file message (POST /api/msg/file)',
      'system message of a top',
      'system message of an untop',
    ];
    const expected = restMade.map((kind) => cases.get(kind)!.push);
    await waitFor(() => sendPushes(ann).length >= expected.length, {
      what: 'the pushes at ann',
    });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const got = sendPushes(ann);
    expect(got).toEqual(expected);
    expect(got.map((m) => Object.keys(m))).toEqual(expected.map((m) => Object.keys(m)));
  });

  describe.each([
    ['GET /api/msg/list/time', history],
    ['POST /api/msg/sync', synced],
  ] as const)('%s', (_endpoint, read) => {
    for (const viewerName of ['bob', 'ann'] as const) {
      it.each(KINDS)(`as ${viewerName}: %s equals its push`, async (kind) => {
        const viewer = viewerName === 'bob' ? bob : ann;
        const c = cases.get(kind)!;
        const listed = await read(viewer);
        // The same messages as the pushes, in the same order.
        expect(listed.map((m) => m.id)).toEqual([...cases.values()].map((x) => x.push.id));
        const entry = listed.find((m) => m.id === c.push.id)!;
        const expected = expectedFor(c, viewer);
        expect(entry).toEqual(expected);
        // Same fields in the same order: the two serialise to the same bytes.
        expect(Object.keys(entry)).toEqual(Object.keys(expected));
        expect(JSON.stringify(entry)).toBe(JSON.stringify(expected));
      });
    }
  });
});
