import { waitFor } from '@chat/testing';
import { ChatError } from './errors';
import { ChatSocket, type ChatSocketOptions, type WebSocketLike } from './socket';

/** A WebSocket whose server side the test plays: it reads the frames and writes the replies. */
class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  readonly sent: any[] = [];
  closedWith: number | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.drop(code);
  }

  /** The server accepts the upgrade. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The connection ends (a server close, or a dead network with 1006). */
  drop(code = 1006): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  write(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  reply(id: number, status_code: number, data?: unknown, status_msg = 'ok'): void {
    this.write(
      data === undefined ? { id, status_code, status_msg } : { id, status_code, status_msg, data },
    );
  }

  /** The request frames of `event` written so far. */
  frames(event: string): any[] {
    return this.sent.filter((frame) => frame.event === event);
  }

  /** Waits for the `n`th (1-based) request frame of `event`. */
  waitForFrame(event: string, n = 1): Promise<any> {
    return waitFor(() => this.frames(event)[n - 1], { what: `${event} frame #${n}` });
  }

  /** Accepts the upgrade and answers the `auth` request. */
  async acceptAndAuthenticate(accountId = 7): Promise<void> {
    this.accept();
    const auth = await this.waitForFrame('auth');
    this.reply(auth.id, 0, { account_id: accountId, expired_at: '2030-01-01T00:00:00.000Z' });
  }
}

const latest = (): FakeSocket => FakeSocket.instances[FakeSocket.instances.length - 1];

let sockets: ChatSocket[] = [];

function newSocket(options: Partial<ChatSocketOptions> = {}): ChatSocket {
  let n = 0;
  const socket = new ChatSocket({
    url: 'ws://chat.test/ws',
    token: 'account-token',
    WebSocket: FakeSocket,
    backoff: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0 },
    newClientMsgId: () => `client-msg-${++n}`,
    ...options,
  });
  sockets.push(socket);
  return socket;
}

async function connected(options: Partial<ChatSocketOptions> = {}): Promise<ChatSocket> {
  const socket = newSocket(options);
  const connecting = socket.connect();
  await latest().acceptAndAuthenticate();
  await connecting;
  return socket;
}

beforeEach(() => {
  FakeSocket.instances = [];
});

afterEach(() => {
  for (const socket of sockets) socket.close();
  sockets = [];
  jest.useRealTimers();
});

describe('ChatSocket authentication', () => {
  it('connects to the URL and authenticates with an auth request before anything else', async () => {
    const socket = newSocket();
    const connecting = socket.connect();
    expect(socket.state).toBe('connecting');
    const pinging = socket.ping();
    const fake = latest();
    expect(fake.url).toBe('ws://chat.test/ws');
    fake.accept();
    const auth = await fake.waitForFrame('auth');
    expect(auth).toEqual({ id: auth.id, event: 'auth', data: { token: 'account-token' } });
    // The ping waits for the authentication.
    expect(fake.sent).toEqual([auth]);
    fake.reply(auth.id, 0, { account_id: 7, expired_at: '2030-01-01T00:00:00.000Z' });
    await connecting;
    expect(socket.state).toBe('open');
    expect(socket.auth).toEqual({ account_id: 7, expired_at: '2030-01-01T00:00:00.000Z' });
    const ping = await fake.waitForFrame('ping');
    expect(ping).toEqual({ id: ping.id, event: 'ping' });
    fake.reply(ping.id, 0, { server_time: '2026-01-01T00:00:00.000Z' });
    await expect(pinging).resolves.toEqual({ server_time: '2026-01-01T00:00:00.000Z' });
  });

  it('gives up on a refused token: connect rejects with its code and nothing reconnects', async () => {
    const socket = newSocket();
    const connecting = socket.connect();
    latest().accept();
    const auth = await latest().waitForFrame('auth');
    latest().reply(auth.id, 2013, undefined, 'token expired');
    await expect(connecting).rejects.toMatchObject({ code: 2013, message: 'token expired' });
    expect(socket.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 50));
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('asks a token function again on each connection', async () => {
    const tokens = ['first', 'second'];
    const socket = newSocket({ token: async () => tokens.shift()! });
    const connecting = socket.connect();
    await latest().acceptAndAuthenticate();
    await connecting;
    latest().drop();
    await waitFor(() => FakeSocket.instances.length === 2);
    latest().accept();
    const auth = await latest().waitForFrame('auth');
    expect(auth.data).toEqual({ token: 'second' });
    expect(FakeSocket.instances[0].frames('auth')[0].data).toEqual({ token: 'first' });
  });
});

describe('ChatSocket requests', () => {
  it('matches replies to requests by frame id, in whatever order they come', async () => {
    const socket = await connected();
    const fake = latest();
    const first = socket.readMessages(11, [101]);
    const second = socket.readMessages(22, [202, 203]);
    const a = await fake.waitForFrame('read_msg', 1);
    const b = await fake.waitForFrame('read_msg', 2);
    expect(a.data).toEqual({ relation_id: 11, msg_ids: [101] });
    expect(b.data).toEqual({ relation_id: 22, msg_ids: [202, 203] });
    expect(a.id).not.toBe(b.id);
    fake.reply(b.id, 0, { last_read_msg_id: 203 });
    // A reply to no request, and a push, resolve nothing.
    fake.reply(9999, 0, { last_read_msg_id: 1 });
    fake.write({ event: 'read_msg', data: { last_read_msg_id: 2 } });
    fake.reply(a.id, 0, { last_read_msg_id: 101 });
    await expect(first).resolves.toEqual({ last_read_msg_id: 101 });
    await expect(second).resolves.toEqual({ last_read_msg_id: 203 });
  });

  it('rejects a non-zero reply with a ChatError carrying its code and message', async () => {
    const socket = await connected();
    const reading = socket.readMessages(11, [101]);
    const frame = await latest().waitForFrame('read_msg');
    latest().reply(frame.id, 2009, undefined, 'not a member');
    const err: ChatError = await reading.catch((e) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ code: 2009, message: 'not a member', reason: 'reply' });
  });

  it('rejects with reason timeout when no reply comes in time, and ignores a late one', async () => {
    const socket = await connected({ requestTimeoutMs: 50 });
    const outcome = socket.readMessages(11, [101]).catch((err) => err);
    const frame = await latest().waitForFrame('read_msg');
    expect(await outcome).toMatchObject({ code: 1005, reason: 'timeout' });
    latest().reply(frame.id, 0, { last_read_msg_id: 101 });
    expect(socket.state).toBe('open');
  });

  it('rejects requests in flight with reason disconnected when the connection drops', async () => {
    const socket = await connected();
    const reading = socket.readMessages(11, [101]);
    await latest().waitForFrame('read_msg');
    latest().drop();
    await expect(reading).rejects.toMatchObject({ reason: 'disconnected' });
  });
});

describe('ChatSocket.sendMessage', () => {
  it('sends under a new client_msg_id and resolves with the ack', async () => {
    const socket = await connected();
    const sending = socket.sendMessage({ relation_id: 5, msg_content: 'hello' });
    const frame = await latest().waitForFrame('send_msg');
    expect(frame.data).toEqual({
      relation_id: 5,
      msg_content: 'hello',
      client_msg_id: 'client-msg-1',
    });
    latest().reply(frame.id, 0, { msg_id: 900, create_at: '2026-01-01T00:00:00.000Z' });
    await expect(sending).resolves.toEqual({
      msg_id: 900,
      create_at: '2026-01-01T00:00:00.000Z',
      client_msg_id: 'client-msg-1',
    });
  });

  it('keeps a client_msg_id the caller gave', async () => {
    const socket = await connected();
    const sending = socket.sendMessage({
      relation_id: 5,
      msg_content: 'hi',
      client_msg_id: 'mine',
    });
    const frame = await latest().waitForFrame('send_msg');
    expect(frame.data.client_msg_id).toBe('mine');
    latest().reply(frame.id, 0, { msg_id: 901, create_at: '2026-01-01T00:00:00.000Z' });
    await expect(sending).resolves.toMatchObject({ msg_id: 901, client_msg_id: 'mine' });
  });

  it('resends with the same client_msg_id on the next connection when the ack was lost', async () => {
    const socket = await connected();
    const sending = socket.sendMessage({ relation_id: 5, msg_content: 'hello', rly_msg_id: 3 });
    const first = latest();
    const sent = await first.waitForFrame('send_msg');
    first.drop();
    await waitFor(() => FakeSocket.instances.length === 2, { what: 'a reconnection' });
    const second = latest();
    expect(second).not.toBe(first);
    // Nothing is sent on the new connection before it is authenticated.
    second.accept();
    const auth = await second.waitForFrame('auth');
    expect(second.frames('send_msg')).toEqual([]);
    second.reply(auth.id, 0, { account_id: 7, expired_at: '2030-01-01T00:00:00.000Z' });
    const resent = await second.waitForFrame('send_msg');
    expect(resent.data).toEqual(sent.data);
    expect(resent.data).toEqual({
      relation_id: 5,
      msg_content: 'hello',
      rly_msg_id: 3,
      client_msg_id: 'client-msg-1',
    });
    second.reply(resent.id, 0, { msg_id: 902, create_at: '2026-01-01T00:00:00.000Z' });
    await expect(sending).resolves.toMatchObject({ msg_id: 902, client_msg_id: 'client-msg-1' });
    expect(first.frames('send_msg')).toHaveLength(1);
    expect(second.frames('send_msg')).toHaveLength(1);
  });

  it('waits retry_after_ms after a 1004 and sends the same frame data again', async () => {
    const socket = await connected();
    const sending = socket.sendMessage({ relation_id: 5, msg_content: 'busy' });
    const fake = latest();
    const first = await fake.waitForFrame('send_msg');
    const refusedAt = Date.now();
    fake.reply(first.id, 1004, { retry_after_ms: 120 }, 'too many messages from this account');
    const second = await fake.waitForFrame('send_msg', 2);
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(100);
    expect(second.data).toEqual(first.data);
    expect(second.id).not.toBe(first.id);
    fake.reply(second.id, 0, { msg_id: 903, create_at: '2026-01-01T00:00:00.000Z' });
    await expect(sending).resolves.toMatchObject({ msg_id: 903, client_msg_id: 'client-msg-1' });
  });

  it('rejects on a reply that a resend cannot fix, without resending', async () => {
    const socket = await connected();
    const sending = socket.sendMessage({ relation_id: 5, msg_content: 'x' });
    const frame = await latest().waitForFrame('send_msg');
    // A 1004 without retry_after_ms (too many requests in flight) is not a send refusal.
    latest().reply(frame.id, 2009, undefined, 'not a member');
    await expect(sending).rejects.toMatchObject({ code: 2009, reason: 'reply' });
    await new Promise((r) => setTimeout(r, 50));
    expect(latest().frames('send_msg')).toHaveLength(1);
  });

  it('stops resending when the socket is closed', async () => {
    const socket = await connected();
    const sending = socket.sendMessage({ relation_id: 5, msg_content: 'x' });
    await latest().waitForFrame('send_msg');
    latest().drop();
    socket.close();
    await expect(sending).rejects.toMatchObject({ reason: 'closed' });
    await new Promise((r) => setTimeout(r, 50));
    expect(FakeSocket.instances).toHaveLength(1);
  });
});

describe('ChatSocket pushes', () => {
  it('hands each push to the subscribers of its event until they unsubscribe', async () => {
    const socket = await connected();
    const messages: unknown[] = [];
    const reads: unknown[] = [];
    const unsubscribe = socket.on('send_msg', (data) => messages.push(data.msg_info.id));
    socket.on('read_msg', (data) => reads.push(data));
    latest().write({ event: 'send_msg', data: { msg_info: { id: 1 } } });
    latest().write({ event: 'update_nickname', data: { relation_id: 1, nick_name: 'x' } });
    latest().write({ event: 'send_msg', data: { msg_info: { id: 2 } } });
    unsubscribe();
    latest().write({ event: 'send_msg', data: { msg_info: { id: 3 } } });
    expect(messages).toEqual([1, 2]);
    expect(reads).toEqual([]);
  });
});

describe('ChatSocket reconnection', () => {
  it('waits the backoff between attempts, growing until one authenticates', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    const states: string[] = [];
    const socket = newSocket({
      backoff: { initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0.5 },
      random: () => 0.5,
    });
    socket.onState((state) => states.push(state));
    const connecting = socket.connect();
    // Three failed attempts: waits of 75, 150, 300 ms (base × 0.75).
    for (const wait of [75, 150, 300]) {
      const count = FakeSocket.instances.length;
      latest().drop();
      jest.advanceTimersByTime(wait - 1);
      expect(FakeSocket.instances).toHaveLength(count);
      jest.advanceTimersByTime(1);
      expect(FakeSocket.instances).toHaveLength(count + 1);
    }
    jest.useRealTimers();
    await latest().acceptAndAuthenticate();
    await connecting;
    // A success starts the waits over.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    latest().drop();
    jest.advanceTimersByTime(74);
    expect(FakeSocket.instances).toHaveLength(4);
    jest.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(5);
    expect(states).toEqual(['reconnecting', 'open', 'reconnecting']);
  });

  it('does not reconnect after close() or when reconnect is off', async () => {
    const closedSocket = await connected();
    closedSocket.close();
    expect(closedSocket.state).toBe('closed');
    expect(FakeSocket.instances[0].closedWith).toBe(1000);
    await expect(closedSocket.ping()).rejects.toMatchObject({ reason: 'closed' });

    const once = await connected({ reconnect: false });
    latest().drop();
    expect(once.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 50));
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('does not reconnect after close 4403 (account deleted)', async () => {
    const socket = await connected();
    latest().write({ event: 'error', data: { status_code: 2010, status_msg: 'account deleted' } });
    latest().drop(4403);
    expect(socket.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 50));
    expect(FakeSocket.instances).toHaveLength(1);
  });
});
