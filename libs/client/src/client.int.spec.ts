import { SYSTEM_TEXTS } from '@chat/protocol';
import { prepareStandalone, waitFor, type RunningApp, type StandaloneServer } from '@chat/testing';
import WebSocket from 'ws';
import { ChatApi } from './api';
import { ChatError } from './errors';
import { ChatSocket, type WebSocketConstructor, type WebSocketLike } from './socket';
import type { MsgInfoWithRly } from './types';

/** A request frame as it left one socket, numbered by connection. */
interface SentFrame {
  connection: number;
  frame: any;
}

/**
 * `ws`'s WebSocket with a switch: while `dropNextSendAck` is set, the next reply to a
 * `send_msg` is not delivered; the connection is cut instead (as a dead network would), so the
 * server has stored the message and the client never saw the ack.
 */
function flakyWebSocket(log: SentFrame[], control: { dropNextSendAck: boolean }) {
  let connections = 0;
  return class FlakyWebSocket implements WebSocketLike {
    private readonly real: WebSocket;
    private readonly connection = ++connections;
    private readonly sendIds = new Set<number>();
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;

    constructor(url: string) {
      this.real = new WebSocket(url);
      this.real.onopen = (event) => this.onopen?.(event);
      this.real.onerror = (event) => this.onerror?.(event);
      this.real.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason });
      this.real.onmessage = (event) => {
        const frame = JSON.parse(String(event.data));
        if (control.dropNextSendAck && this.sendIds.has(frame.id)) {
          control.dropNextSendAck = false;
          this.real.terminate();
          return;
        }
        this.onmessage?.({ data: event.data });
      };
    }

    get readyState(): number {
      return this.real.readyState;
    }

    send(data: string): void {
      const frame = JSON.parse(data);
      if (frame.event === 'send_msg') this.sendIds.add(frame.id);
      log.push({ connection: this.connection, frame });
      this.real.send(data);
    }

    close(code?: number, reason?: string): void {
      this.real.close(code, reason);
    }
  } satisfies WebSocketConstructor;
}

/**
 * The SDK against the real one-process server (`npm start`): two people register through the
 * dev mailbox, become friends, and talk over ChatSocket; history is read back over ChatApi.
 */
describe('the client SDK against the standalone server', () => {
  let server: StandaloneServer;
  let app: RunningApp | undefined;
  let api: ChatApi;
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    server = await prepareStandalone('client-sdk-');
    app = await server.launch();
    api = new ChatApi({ baseUrl: `${server.baseUrl}/` });
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    const code = await app?.stop('SIGINT');
    await server?.remove();
    expect(code).toBe(0);
  }, 60_000);

  /** Registers a user with one account; returns the account's id and a fresh account token. */
  async function register(email: string, name: string) {
    await api.request('POST', '/api/email/send', { body: { email } });
    const code = await server.codeFromMailbox(email);
    const user = await api.request<any>('POST', '/api/user/register', {
      body: { email, password: 'secret-1', code },
    });
    const userToken: string = user.user_token.token;
    const account = await api.request<any>('POST', '/api/account/create', {
      token: userToken,
      body: { name, gender: '未知', signature: `${name} here` },
    });
    const token = await api.accountToken(userToken, account.id);
    expect(token.token).toEqual(expect.any(String));
    expect(Date.parse(token.expired_at)).toBeGreaterThan(Date.now());
    return { id: account.id as number, name, token: token.token };
  }

  function openSocket(token: string, log: SentFrame[], control = { dropNextSendAck: false }) {
    const socket = new ChatSocket({
      url: server.wsUrl,
      token,
      WebSocket: flakyWebSocket(log, control),
      backoff: { initialDelayMs: 50, maxDelayMs: 500 },
    });
    sockets.push(socket);
    return socket;
  }

  it('rejects a failed REST call with a ChatError carrying the code', async () => {
    const envelope = await api.call('GET', '/api/setting/friend/list', { token: 'not-a-token' });
    expect(envelope).toEqual({ status_code: 2008, status_msg: expect.any(String) });
    const err = await api.friendList('not-a-token').catch((e) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ code: 2008, reason: 'reply', message: envelope.status_msg });
  });

  it('delivers a message once, with the same client_msg_id, when its ack was lost', async () => {
    const alice = await register('alice@client.test', 'alice');
    const bob = await register('bob@client.test', 'bob');

    const aliceFrames: SentFrame[] = [];
    const control = { dropNextSendAck: false };
    const aliceSocket = openSocket(alice.token, aliceFrames, control);
    const bobSocket = openSocket(bob.token, []);
    const aliceGot: MsgInfoWithRly[] = [];
    const bobGot: MsgInfoWithRly[] = [];
    aliceSocket.on('send_msg', (data) => aliceGot.push(data.msg_info));
    bobSocket.on('send_msg', (data) => bobGot.push(data.msg_info));
    await Promise.all([aliceSocket.connect(), bobSocket.connect()]);
    expect(aliceSocket.auth?.account_id).toBe(alice.id);
    expect(bobSocket.auth?.account_id).toBe(bob.id);

    // Friends: the application, its acceptance, and the friendship as the friend list shows it.
    await api.request('POST', '/api/application/create', {
      token: alice.token,
      body: { account_id: bob.id, apply_msg: 'hi bob' },
    });
    await api.request('PUT', '/api/application/accept', {
      token: bob.token,
      body: { account_id: alice.id },
    });
    const friends = await api.friendList(alice.token);
    expect(friends.total).toBe(2);
    expect(friends.list.map((f) => f.friend_info.account_id).sort()).toEqual(
      [alice.id, bob.id].sort(),
    );
    const relationId = friends.list.find((f) => f.friend_info.account_id === bob.id)!.relation_id;
    // The friendship's system message reaches both before anything is sent.
    await waitFor(() => aliceGot.length === 1 && bobGot.length === 1, {
      what: 'the became-friends push on both sockets',
    });
    expect(bobGot[0]).toMatchObject({
      relation_id: relationId,
      notify_type: 'system',
      msg_content: SYSTEM_TEXTS.becameFriends,
    });

    // A plain send: acked, pushed to bob, not to the socket it came from.
    const hello = await aliceSocket.sendMessage({ relation_id: relationId, msg_content: 'hello' });
    expect(hello.client_msg_id).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(() => bobGot.length === 2, { what: 'the push of hello' });
    expect(bobGot[1]).toMatchObject({
      id: hello.msg_id,
      create_at: hello.create_at,
      relation_id: relationId,
      account_id: alice.id,
      msg_content: 'hello',
      notify_type: 'common',
    });

    // The ack of the next message is lost with its connection: the SDK reconnects and sends
    // the same client_msg_id again; the server answers with the message it already stored.
    control.dropNextSendAck = true;
    const states: string[] = [];
    aliceSocket.onState((state) => states.push(state));
    const second = await aliceSocket.sendMessage({
      relation_id: relationId,
      msg_content: 'second',
    });
    expect(control.dropNextSendAck).toBe(false);
    expect(states).toEqual(['reconnecting', 'open']);
    const sends = aliceFrames.filter((sent) => sent.frame.event === 'send_msg');
    expect(sends).toHaveLength(3);
    const [first, resent] = sends.slice(1);
    expect(first.frame.data).toEqual({
      relation_id: relationId,
      msg_content: 'second',
      client_msg_id: second.client_msg_id,
    });
    expect(resent.frame.data).toEqual(first.frame.data);
    expect(resent.connection).toBe(first.connection + 1);
    // The resend came after a new authentication on the new connection.
    const afterReconnect = aliceFrames.filter((sent) => sent.connection === resent.connection);
    expect(afterReconnect.map((sent) => sent.frame.event)).toEqual(['auth', 'send_msg']);

    await waitFor(() => bobGot.length === 3, { what: 'the push of second' });
    expect(bobGot[2]).toMatchObject({ id: second.msg_id, msg_content: 'second' });
    // Stored once: a second push would have come with the resend's reply.
    await new Promise((r) => setTimeout(r, 300));
    expect(bobGot.map((m) => m.msg_content)).toEqual([
      SYSTEM_TEXTS.becameFriends,
      'hello',
      'second',
    ]);
    expect(aliceGot).toHaveLength(1);

    // History shows each message once, oldest first, with the ids the acks gave.
    const history = await api.messagesBefore(bob.token, {
      relation_id: relationId,
      last_time: Math.floor(Date.now() / 1000) + 60,
    });
    expect(history.total).toBe(3);
    expect(history.list.map((m) => [m.id, m.account_id, m.msg_content, m.seq])).toEqual([
      [bobGot[0].id, 0, SYSTEM_TEXTS.becameFriends, 1],
      [hello.msg_id, alice.id, 'hello', 2],
      [second.msg_id, alice.id, 'second', 3],
    ]);
    const synced = await api.sync(alice.token, {
      relations: [{ relation_id: relationId, after_seq: 1 }],
    });
    expect(synced.list).toHaveLength(1);
    expect(synced.list[0]).toMatchObject({ relation_id: relationId, last_seq: 3, has_more: false });
    expect(synced.list[0].messages.map((m) => m.id)).toEqual([hello.msg_id, second.msg_id]);
  }, 60_000);
});
