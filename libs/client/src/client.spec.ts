import { waitFor } from '@chat/testing';
import { ChatClient, type MessageChange } from './client';
import type { WebSocketLike } from './socket';
import type { MsgInfoWithRly } from './types';

/** A WebSocket whose server side the test plays. */
class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  readonly sent: any[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000): void {
    this.drop(code);
  }

  drop(code = 1006): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  write(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  async acceptAndAuthenticate(accountId: number): Promise<void> {
    this.readyState = 1;
    this.onopen?.({});
    const auth = await waitFor(() => this.sent.find((f) => f.event === 'auth'), {
      what: 'the auth frame',
    });
    this.write({
      id: auth.id,
      status_code: 0,
      status_msg: 'ok',
      data: { account_id: accountId, expired_at: '2030-01-01T00:00:00.000Z' },
    });
  }

  /** Accepts the upgrade; resolves with the auth frame. */
  async openForAuth(): Promise<any> {
    this.readyState = 1;
    this.onopen?.({});
    return waitFor(() => this.sent.find((f) => f.event === 'auth'), { what: 'the auth frame' });
  }

  push(event: string, data: unknown): void {
    this.write({ event, data });
  }
}

const latest = () => FakeSocket.instances[FakeSocket.instances.length - 1];

const SELF = 7;
const FRIEND = 8;
const RELATION = 5;

function message(seq: number, from = FRIEND): MsgInfoWithRly {
  return {
    id: 1000 + seq,
    notify_type: 'common',
    msg_type: 'text',
    msg_content: `m${seq}`,
    msg_extend: null,
    file_id: 0,
    account_id: from,
    relation_id: RELATION,
    create_at: '2026-01-01T00:00:00.000Z',
    is_revoke: false,
    is_top: false,
    is_pin: false,
    pin_time: '2026-01-01T00:00:00.000Z',
    read_ids: [],
    reply_count: 0,
    seq,
    edit_at: null,
    mentioned_me: false,
    reactions: [],
    rly_msg: null,
  };
}

/**
 * The REST side the client needs, over a message store the test fills: the friend and group
 * lists and `POST /api/msg/sync`, whose replies can be held back on a gate.
 */
class FakeRest {
  stored: MsgInfoWithRly[] = [];
  /** Changes to stored messages: the message as it is after the change, numbered from 1. */
  changes: MsgInfoWithRly[] = [];
  /** Most changes per conversation and reply; more set `has_more`. */
  changeLimit = 100;
  syncCalls: { relation_id: number; after_seq: number; after_change?: number }[][] = [];
  /** Account tokens handed out by `GET /api/account/token`; refused once the user's ended. */
  renewed = 0;
  userSessionEnded = false;
  /** How many of the next REST calls the per-address rate limit refuses (1004). */
  busy = 0;
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
  }

  /** Changes stored message `seq` (as an edit, reaction, revoke… would) and counts it. */
  change(seq: number, patch: Partial<MsgInfoWithRly>): void {
    const changed = { ...this.stored[seq - 1]!, ...patch };
    this.stored[seq - 1] = changed;
    this.changes.push(changed);
  }

  readonly fetch = (async (input: string, init: RequestInit) => {
    const url = new URL(input);
    const ok = (data: unknown) =>
      new Response(JSON.stringify({ status_code: 0, status_msg: 'ok', data }));
    if (this.busy > 0) {
      this.busy--;
      return new Response(JSON.stringify({ status_code: 1004, status_msg: 'too many requests' }));
    }
    switch (url.pathname) {
      case '/api/setting/friend/list':
        return ok({ list: [{ relation_id: RELATION }], total: 1 });
      case '/api/account/token':
        if (this.userSessionEnded) {
          return new Response(JSON.stringify({ status_code: 2013, status_msg: 'token revoked' }));
        }
        return ok({
          account_token: {
            token: `renewed-${++this.renewed}`,
            expired_at: '2999-01-01T00:00:00.000Z',
          },
        });
      case '/api/group/list':
        return ok({ list: [], total: 0 });
      case '/api/msg/sync': {
        const body = JSON.parse(String(init.body));
        this.syncCalls.push(body.relations);
        // What the store holds when the request arrives is what the reply carries.
        type Asked = { relation_id: number; after_seq: number; after_change?: number };
        const list = body.relations.map((r: Asked) => {
          // The last change of each message after `after_change`, in change order.
          const since = r.after_change === undefined ? [] : this.changes.slice(r.after_change);
          const last = new Map<number, [number, MsgInfoWithRly]>();
          since.forEach((m, i) => last.set(m.id, [r.after_change! + i + 1, m]));
          const due = [...last.values()]
            .filter(([, m]) => m.seq <= r.after_seq)
            .sort(([a], [b]) => a - b);
          const changed = due.slice(0, this.changeLimit);
          const more = due.length > changed.length;
          return {
            relation_id: r.relation_id,
            messages: this.stored.filter((m) => m.seq > r.after_seq),
            last_seq: this.stored.length,
            changed: changed.map(([, m]) => m),
            last_change: more ? changed[changed.length - 1]![0] : this.changes.length,
            has_more: more,
          };
        });
        if (this.gate) await this.gate;
        return ok({ list });
      }
      default:
        return new Response(JSON.stringify({ status_code: 1002, status_msg: 'no such route' }));
    }
  }) as unknown as typeof fetch;
}

let clients: ChatClient[] = [];

function newClient(rest: FakeRest): ChatClient {
  const client = new ChatClient({
    baseUrl: 'http://chat.test',
    fetch: rest.fetch,
    WebSocket: FakeSocket,
    backoff: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0 },
    historyStart: 'all',
  });
  client.setAccountToken(SELF, { token: 'acc', expired_at: '2999-01-01T00:00:00.000Z' });
  clients.push(client);
  return client;
}

async function started(rest: FakeRest) {
  const client = newClient(rest);
  const got: number[] = [];
  client.onMessage((m) => got.push(m.seq));
  const switching = client.switchAccount(SELF);
  await waitFor(() => FakeSocket.instances.length > 0, { what: 'a socket' });
  await latest().acceptAndAuthenticate(SELF);
  await switching;
  return { client, got };
}

beforeEach(() => {
  FakeSocket.instances = [];
});

afterEach(() => {
  for (const client of clients) client.close();
  clients = [];
});

describe('ChatClient delivery', () => {
  it('derives the WebSocket URL from the base URL and catches up at the start', async () => {
    const rest = new FakeRest();
    rest.stored = [message(1), message(2), message(3)];
    const { got } = await started(rest);
    expect(latest().url).toBe('ws://chat.test/ws');
    expect(got).toEqual([1, 2, 3]);
    expect(rest.syncCalls[0]).toEqual([{ relation_id: RELATION, after_seq: 0, after_change: 0 }]);
  });

  it('merges pushes that arrive while a catch-up is on its way: each message once, in order', async () => {
    const rest = new FakeRest();
    rest.stored = [message(1), message(2), message(3)];
    const { client, got } = await started(rest);

    latest().drop();
    rest.stored.push(message(4), message(5));
    rest.hold();
    await waitFor(() => FakeSocket.instances.length === 2, { what: 'a reconnection' });
    await latest().acceptAndAuthenticate(SELF);
    await waitFor(() => rest.syncCalls.length === 2, { what: 'the catch-up request' });
    expect(rest.syncCalls[1]).toEqual([{ relation_id: RELATION, after_seq: 3, after_change: 0 }]);
    // While the reply is held: 5 and 6 are pushed (6 stored after the reply was made).
    latest().push('send_msg', { msg_info: message(5) });
    rest.stored.push(message(6));
    latest().push('send_msg', { msg_info: message(6) });
    expect(got).toEqual([1, 2, 3]);
    rest.release();
    await waitFor(() => got.length === 6, { what: 'messages 4 to 6' });
    await client.settle();
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);

    // A repeated push changes nothing; a gap is filled by sync before what follows it.
    latest().push('send_msg', { msg_info: message(6) });
    rest.stored.push(message(7), message(8));
    latest().push('send_msg', { msg_info: message(8) });
    await waitFor(() => got.length === 8, { what: 'messages 7 and 8' });
    await client.settle();
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(client.cursors()).toEqual([
      { relation_id: RELATION, last_seq: 8, last_change: 0, last_read_msg_id: 0 },
    ]);
  });

  it('waits out the rate limit (1004) on its own REST calls', async () => {
    const rest = new FakeRest();
    rest.stored = [message(1)];
    rest.busy = 3; // the friend list, the group list, and the first catch-up
    const { got } = await started(rest);
    expect(got).toEqual([1]);
    expect(rest.busy).toBe(0);
  });

  it('finds an own message by sync after its ack, as it is not pushed to its sender', async () => {
    const rest = new FakeRest();
    const { client, got } = await started(rest);
    const sending = client.send({ relation_id: RELATION, msg_content: 'mine' });
    const frame = await waitFor(() => latest().sent.find((f) => f.event === 'send_msg'), {
      what: 'the send_msg frame',
    });
    expect(frame.data).toMatchObject({ relation_id: RELATION, client_msg_id: expect.any(String) });
    latest().write({
      id: frame.id,
      status_code: 0,
      status_msg: 'ok',
      data: { msg_id: 1001, create_at: '2026-01-01T00:00:00.000Z' },
    });
    await sending;
    // Not stored yet at the first look; found at a later one.
    await new Promise((r) => setTimeout(r, 30));
    rest.stored.push(message(1, SELF));
    await waitFor(() => got.length === 1, { what: 'the own message', timeoutMs: 5000 });
    expect(client.unreadCount(RELATION)).toBe(0);
  });
});

describe('ChatClient message changes', () => {
  const EDITED_AT = '2026-01-02T00:00:00.000Z';

  it('hears changes live as pushed, and those made while away from the catch-up, in change order', async () => {
    const rest = new FakeRest();
    rest.stored = [message(1), message(2), message(3)];
    const { client, got } = await started(rest);
    const changes: MessageChange[] = [];
    client.onMessageChanged((change, conversation) => {
      expect(conversation.relation_id).toBe(RELATION);
      changes.push(change);
    });

    // Live: the push, as it came.
    const edit = { relation_id: RELATION, msg_id: 1002, msg_content: 'live', edit_at: EDITED_AT };
    rest.change(2, { msg_content: 'live', edit_at: EDITED_AT });
    latest().push('edit_msg', edit);
    const reaction = {
      relation_id: RELATION,
      msg_id: 1002,
      account_id: FRIEND,
      emoji: '👍',
      state: true,
      count: 1,
    };
    latest().push('msg_reaction', reaction);
    expect(changes).toEqual([
      { source: 'edit_msg', relation_id: RELATION, msg_id: 1002, push: edit },
      { source: 'msg_reaction', relation_id: RELATION, msg_id: 1002, push: reaction },
    ]);
    changes.length = 0;

    // Away: message 1 is edited then revoked, 3 gets a reaction, and 4 is sent.
    latest().drop();
    rest.change(1, { msg_content: 'edited', edit_at: EDITED_AT });
    rest.change(3, { reactions: [{ emoji: '👍', count: 1, me: false }] });
    rest.change(1, { is_revoke: true, msg_content: '' });
    rest.stored.push(message(4));
    await waitFor(() => FakeSocket.instances.length === 2, { what: 'a reconnection' });
    await latest().acceptAndAuthenticate(SELF);
    await waitFor(() => got.length === 4, { what: 'message 4' });
    await client.settle();
    expect(rest.syncCalls[1]).toEqual([{ relation_id: RELATION, after_seq: 3, after_change: 0 }]);
    // Each changed message once, whole, in the order of its last change; the live edit of
    // message 2 comes again (the client cannot tell it heard it).
    expect(changes.map((c) => [c.source, c.msg_id])).toEqual([
      ['sync', 1002],
      ['sync', 1003],
      ['sync', 1001],
    ]);
    expect(changes[2]).toMatchObject({ message: { id: 1001, is_revoke: true, msg_content: '' } });
    expect(changes[1]).toMatchObject({ message: { reactions: [{ emoji: '👍', count: 1 }] } });
    expect(client.cursors()).toEqual([
      { relation_id: RELATION, last_seq: 4, last_change: 4, last_read_msg_id: 0 },
    ]);

    // The next catch-up asks from there: nothing changed, nothing heard.
    changes.length = 0;
    latest().drop();
    await waitFor(() => FakeSocket.instances.length === 3, { what: 'a reconnection' });
    await latest().acceptAndAuthenticate(SELF);
    await waitFor(() => rest.syncCalls.length === 3, { what: 'the catch-up' });
    await client.settle();
    expect(rest.syncCalls[2]).toEqual([{ relation_id: RELATION, after_seq: 4, after_change: 4 }]);
    expect(changes).toEqual([]);
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('resumes cursors saved without last_change from 0, paging through the changes', async () => {
    const rest = new FakeRest();
    rest.stored = [1, 2, 3, 4, 5].map((seq) => message(seq));
    rest.change(2, { msg_content: 'two' });
    rest.change(4, { msg_content: 'four' });
    rest.change(5, { msg_content: 'five' });
    rest.changeLimit = 2;
    const client = newClient(rest);
    const got: number[] = [];
    client.onMessage((m) => got.push(m.seq));
    const changed: string[] = [];
    client.onMessageChanged((c) => changed.push(c.source === 'sync' ? c.message.msg_content : ''));
    const switching = client.switchAccount(SELF, {
      cursors: [{ relation_id: RELATION, last_seq: 5, last_read_msg_id: 0 }],
    });
    await waitFor(() => FakeSocket.instances.length > 0, { what: 'a socket' });
    await latest().acceptAndAuthenticate(SELF);
    await switching;
    expect(rest.syncCalls).toEqual([
      [{ relation_id: RELATION, after_seq: 5, after_change: 0 }],
      [{ relation_id: RELATION, after_seq: 5, after_change: 2 }],
    ]);
    expect(changed).toEqual(['two', 'four', 'five']);
    expect(got).toEqual([]);
    expect(client.cursors()).toEqual([
      { relation_id: RELATION, last_seq: 5, last_change: 3, last_read_msg_id: 0 },
    ]);
  });

  it('does not deliver the stale copy of a message held ahead of a gap and changed meanwhile', async () => {
    const rest = new FakeRest();
    rest.stored = [message(1)];
    const { client } = await started(rest);
    const texts: string[] = [];
    client.onMessage((m) => texts.push(m.msg_content));
    // 2 and 3 are stored; 3 is pushed (2's push lost: a gap), then edited.
    rest.stored.push(message(2), message(3));
    rest.change(3, { msg_content: 'm3 edited', edit_at: EDITED_AT });
    latest().push('send_msg', { msg_info: message(3) });
    latest().push('edit_msg', {
      relation_id: RELATION,
      msg_id: 1003,
      msg_content: 'm3 edited',
      edit_at: EDITED_AT,
    });
    await waitFor(() => texts.length === 2, { what: 'messages 2 and 3' });
    await client.settle();
    expect(texts).toEqual(['m2', 'm3 edited']);
  });
});

describe('ChatClient read cursors', () => {
  it('counts others’ messages after the cursor, and follows read_msg pushes', async () => {
    const rest = new FakeRest();
    rest.stored = [message(1), message(2, SELF), message(3), message(4)];
    const { client } = await started(rest);
    expect(client.unreadCount()).toBe(3);
    const reads: [number, number | undefined][] = [];
    client.onRead((c) => reads.push([c.last_read_msg_id, c.read_by.get(FRIEND)]));

    // Another device of this account read up to message 3.
    latest().push('read_msg', {
      relation_id: RELATION,
      reader_id: SELF,
      msg_ids: [1003],
      last_read_msg_id: 1003,
    });
    expect(client.conversation(RELATION)).toMatchObject({ last_read_msg_id: 1003, unread: 1 });
    // The friend read this account's message 2.
    latest().push('read_msg', {
      relation_id: RELATION,
      reader_id: FRIEND,
      msg_ids: [1002],
      last_read_msg_id: 1002,
    });
    expect(reads).toEqual([
      [1003, undefined],
      [1003, 1002],
    ]);

    // markRead sends read_msg with the newest message and takes the server's cursor.
    const marking = client.markRead(RELATION);
    const frame = await waitFor(() => latest().sent.find((f) => f.event === 'read_msg'), {
      what: 'the read_msg frame',
    });
    expect(frame.data).toEqual({ relation_id: RELATION, msg_ids: [1004] });
    latest().write({
      id: frame.id,
      status_code: 0,
      status_msg: 'ok',
      data: { last_read_msg_id: 1004 },
    });
    await expect(marking).resolves.toBe(1004);
    expect(client.unreadCount()).toBe(0);
  });

  it('stops tracking a conversation that was deleted', async () => {
    const rest = new FakeRest();
    const { client } = await started(rest);
    expect(client.conversation(RELATION)).toBeDefined();
    latest().push('delete_relation', { relation_id: RELATION });
    expect(client.conversation(RELATION)).toBeUndefined();
  });
});

describe('ChatClient tokens', () => {
  it('renews a refused account token, and stops when the user session has ended', async () => {
    const rest = new FakeRest();
    const client = newClient(rest);
    client.setUserToken({ token: 'user', expired_at: '2999-01-01T00:00:00.000Z' });
    const errors: unknown[] = [];
    client.onError((err) => errors.push(err));
    const switching = client.switchAccount(SELF);
    await waitFor(() => FakeSocket.instances.length === 1, { what: 'a socket' });
    const first = await latest().openForAuth();
    expect(first.data).toEqual({ token: 'acc' });
    latest().write({ id: first.id, status_code: 2013, status_msg: 'token revoked' });

    // The next connection authenticates with a token renewed with the user token.
    await waitFor(() => FakeSocket.instances.length === 2, { what: 'a reconnection' });
    const second = await latest().openForAuth();
    expect(second.data).toEqual({ token: 'renewed-1' });
    latest().write({
      id: second.id,
      status_code: 0,
      status_msg: 'ok',
      data: { account_id: SELF, expired_at: '2030-01-01T00:00:00.000Z' },
    });
    await switching;
    expect(client.socket?.state).toBe('open');
    expect(await client.accountToken()).toBe('renewed-1');

    // The user's session ends (a password change): the renewed token is refused, and so is
    // the renewal. Nothing can reconnect: the client stops and says why.
    rest.userSessionEnded = true;
    latest().drop();
    await waitFor(() => FakeSocket.instances.length === 3, { what: 'a reconnection' });
    const third = await latest().openForAuth();
    expect(third.data).toEqual({ token: 'renewed-1' });
    latest().write({ id: third.id, status_code: 2013, status_msg: 'token revoked' });
    await waitFor(() => FakeSocket.instances.length === 4, { what: 'another reconnection' });
    latest().readyState = 1;
    latest().onopen?.({});
    await waitFor(() => client.accountId === null, { what: 'the session to stop' });
    expect(errors).toEqual([expect.objectContaining({ code: 2013, reason: 'reply' })]);
    expect(FakeSocket.instances).toHaveLength(4);
  });
});
