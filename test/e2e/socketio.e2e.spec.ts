import { ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import { waitFor, WsClient } from '@chat/testing';
import { ok } from './support/http';
import { openSession, type Session } from './support/session';
import { SioClient, type SioCloseError } from './support/sio-client';
import { startTargetStack, type TargetStack } from './support/target';

/** Short, so the deadline case does not wait long; every other socket authenticates at once. */
const AUTH_TIMEOUT_MS = 3000;

/**
 * Socket.IO clients on the gateway (docs/protocol.md §7), next to plain `/ws` clients in the
 * same conversation: a Socket.IO event with an acknowledgement is a request and its reply,
 * pushes are events, and a close is an `error` event then a disconnect. Against a gateway
 * process (its own port) and against the standalone server (its one port, `/socket.io/`
 * handed to the gateway like `/ws`).
 */
describe('Socket.IO clients beside plain WebSocket clients', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let annBob: number;
  let base: string;
  let annSio: SioClient;
  let bobWs: WsClient;
  const opened: (SioClient | WsClient)[] = [];

  async function sio(token?: string): Promise<SioClient> {
    const client = await SioClient.connect(base, { token });
    opened.push(client);
    return client;
  }

  async function plain(token: string): Promise<WsClient> {
    const ws = await WsClient.connect(stack.gateways[0].wsUrl, { token });
    opened.push(ws);
    return ws;
  }

  /** The `error` event a closed Socket.IO client got, and how its connection ended. */
  async function closedWith(client: SioClient): Promise<{ error: SioCloseError; reason: string }> {
    const reason = await client.disconnected;
    const errors = client.events.filter((e) => e.event === PUSH_EVENTS.error);
    expect(errors).toHaveLength(1);
    return { error: errors[0].data as SioCloseError, reason };
  }

  beforeAll(async () => {
    stack = await startTargetStack(
      'e2e_socketio',
      { GATEWAY_AUTH_TIMEOUT: `${AUTH_TIMEOUT_MS}ms` },
      { gateways: 1, workers: true },
    );
    base = SioClient.baseOf(stack.gateways[0].wsUrl);
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.sio@example.com', 'ann'),
      openSession(stack, 'bob.sio@example.com', 'bob'),
    ]);
    annBob = await ann.befriend(bob);
    bobWs = await plain(bob.accountToken);
    expect((await bobWs.request('ping')).status_code).toBe(0);
    annSio = await sio(ann.accountToken);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await stack?.stop();
  });

  it('authenticates with the token of the handshake and acknowledges with the reply body', async () => {
    const pong = await annSio.request('ping');
    expect(pong).toEqual({ status_code: 0, status_msg: 'ok', data: expect.any(Object) });
    expect(Date.parse(pong.data.server_time)).not.toBeNaN();
    // Authenticated: the account is served (a refreshed token is accepted on the same socket).
    const again = await annSio.request('auth', { token: ann.accountToken });
    expect(again).toMatchObject({ status_code: 0, data: { account_id: ann.accountId } });
  });

  it('both send and each gets the other’s message as a push; the acks carry msg_id', async () => {
    const fromSio = await annSio.request('send_msg', {
      relation_id: annBob,
      msg_content: 'hello from socket.io',
      client_msg_id: 'sio-1',
    });
    expect(fromSio.status_code).toBe(0);
    expect(fromSio.data.msg_id).toEqual(expect.any(Number));
    const atBob = await bobWs.waitForPush(
      (p) => p.event === PUSH_EVENTS.sendMsg && p.data.msg_info.id === fromSio.data.msg_id,
      'ann’s message at bob',
    );
    expect(atBob.data.msg_info).toMatchObject({
      relation_id: annBob,
      account_id: ann.accountId,
      msg_content: 'hello from socket.io',
    });

    const fromWs = await bobWs.request('send_msg', {
      relation_id: annBob,
      msg_content: 'hello from /ws',
      client_msg_id: 'ws-1',
    });
    expect(fromWs.status_code).toBe(0);
    const atAnn = await annSio.waitForEvent(
      (e) => e.event === PUSH_EVENTS.sendMsg && e.data.msg_info.id === fromWs.data.msg_id,
      'bob’s message at ann',
    );
    expect(atAnn.data.msg_info).toMatchObject({
      relation_id: annBob,
      account_id: bob.accountId,
      msg_content: 'hello from /ws',
    });
    // The sender's own connection gets no push of its message, as on /ws.
    expect(
      annSio.events.filter(
        (e) => e.event === PUSH_EVENTS.sendMsg && e.data.msg_info.id === fromSio.data.msg_id,
      ),
    ).toEqual([]);

    // A resend with the same client_msg_id is acknowledged with the original id.
    const resent = await annSio.request('send_msg', {
      relation_id: annBob,
      msg_content: 'hello from socket.io',
      client_msg_id: 'sio-1',
    });
    expect(resent).toMatchObject({ status_code: 0, data: { msg_id: fromSio.data.msg_id } });
  });

  it('read receipts flow both ways', async () => {
    const sent = await bobWs.request('send_msg', { relation_id: annBob, msg_content: 'read me' });
    expect(sent.status_code).toBe(0);
    const mine = sent.data as { msg_id: number };
    await annSio.waitForEvent(
      (e) => e.event === PUSH_EVENTS.sendMsg && e.data.msg_info.id === mine.msg_id,
      'the message to read',
    );
    const read = await annSio.request('read_msg', { relation_id: annBob, msg_ids: [mine.msg_id] });
    expect(read.status_code).toBe(0);
    const receipt = await bobWs.waitForPush(
      (p) => p.event === PUSH_EVENTS.readMsg && p.data.msg_ids.includes(mine.msg_id),
      'the read receipt at bob',
    );
    expect(receipt.data).toMatchObject({ relation_id: annBob, reader_id: ann.accountId });

    const theirs = await annSio.request('send_msg', { relation_id: annBob, msg_content: 'and me' });
    expect(theirs.status_code).toBe(0);
    await bobWs.waitForPush(
      (p) => p.event === PUSH_EVENTS.sendMsg && p.data.msg_info.id === theirs.data.msg_id,
      'the second message at bob',
    );
    const bobRead = await bobWs.request('read_msg', {
      relation_id: annBob,
      msg_ids: [theirs.data.msg_id],
    });
    expect(bobRead.status_code).toBe(0);
    const back = await annSio.waitForEvent(
      (e) => e.event === PUSH_EVENTS.readMsg && e.data.msg_ids.includes(theirs.data.msg_id),
      'the read receipt at ann',
    );
    expect(back.data).toMatchObject({ relation_id: annBob, reader_id: bob.accountId });
  });

  it('answers bad input with the same codes as /ws, and the connection goes on', async () => {
    const empty = await annSio.request('send_msg', { relation_id: annBob, msg_content: '' });
    expect(empty.status_code).toBe(ErrorCode.InvalidParams);
    expect(empty.status_msg).toContain('msg_content');
    expect(empty.data).toBeUndefined();
    const nul = await annSio.request('send_msg', { relation_id: annBob, msg_content: 'a\u0000b' });
    expect(nul.status_code).toBe(ErrorCode.InvalidParams);
    const noData = await annSio.request('read_msg');
    expect(noData.status_code).toBe(ErrorCode.InvalidParams);
    const unknown = await annSio.request('no_such_event', {});
    expect(unknown).toMatchObject({
      status_code: ErrorCode.InvalidParams,
      status_msg: expect.stringContaining('unknown event'),
    });
    // A client event named like Socket.IO's own `error` is one more unknown event.
    const named = await annSio.request('error', { boom: true });
    expect(named.status_code).toBe(ErrorCode.InvalidParams);
    const stranger = await annSio.request('send_msg', {
      relation_id: 987_654_321,
      msg_content: 'x',
    });
    expect(stranger.status_code).not.toBe(0);

    // Same answers on /ws for the same input.
    const plainEmpty = await bobWs.request('send_msg', { relation_id: annBob, msg_content: '' });
    expect({ code: empty.status_code, msg: empty.status_msg }).toEqual({
      code: plainEmpty.status_code,
      msg: plainEmpty.status_msg,
    });

    expect(annSio.connected).toBe(true);
    expect((await annSio.request('ping')).status_code).toBe(0);
    expect(annSio.events.filter((e) => e.event === PUSH_EVENTS.error)).toEqual([]);
  });

  it('answers a muted member’s send_msg with 7004 and data.muted_until, as /ws does', async () => {
    const group = await bob.createGroup('sio-mute', [ann]);
    const mute = (path: string, body: Record<string, unknown>) =>
      stack.api.post(path, { token: bob.accountToken, body: { relation_id: group, ...body } });
    const until = ok(
      await mute('/api/group/mute', { account_id: ann.accountId, duration_seconds: 600 }),
    ).muted_until as string;
    const send = { relation_id: group, msg_content: 'am I muted?', client_msg_id: 'sio-muted' };

    const viaSio = await annSio.request('send_msg', send);
    const annWs = await plain(ann.accountToken);
    const viaWs = await annWs.request('send_msg', { ...send, client_msg_id: 'ws-muted' });
    expect(viaWs).toMatchObject({
      status_code: ErrorCode.MemberMuted,
      data: { muted_until: until },
    });
    // The acknowledgement is the /ws reply without its id, data included.
    expect(viaSio).toEqual({
      status_code: ErrorCode.MemberMuted,
      status_msg: viaWs.status_msg,
      data: { muted_until: until },
    });
    expect(annSio.connected).toBe(true);

    // Nothing was stored: once unmuted, the same client_msg_id sends a new message.
    ok(await mute('/api/group/unmute', { account_id: ann.accountId }));
    const sent = await annSio.request('send_msg', send);
    expect(sent.status_code).toBe(0);
    const atBob = await bobWs.waitForPush(
      (p) => p.event === PUSH_EVENTS.sendMsg && p.data.msg_info.relation_id === group,
      'the message once unmuted at bob',
    );
    expect(atBob.data.msg_info).toMatchObject({
      id: sent.data.msg_id,
      msg_content: send.msg_content,
    });
  });

  it('takes the `auth` event as /ws takes the auth request, and serves nothing before it', async () => {
    const client = await sio();
    const early = await client.request('send_msg', { relation_id: annBob, msg_content: 'x' });
    expect(early.status_code).toBe(ErrorCode.AuthMissing);
    expect((await client.request('ping')).status_code).toBe(0);
    const wrong = await client.request('auth', { token: 'not-a-token' });
    expect(wrong.status_code).toBe(ErrorCode.AuthFailed);
    const auth = await client.request('auth', { token: ann.accountToken });
    expect(auth).toMatchObject({ status_code: 0, data: { account_id: ann.accountId } });
    // The account's other connections see the login, whatever their kind.
    await waitFor(() => annSio.events.some((e) => e.event === PUSH_EVENTS.accountLogin), {
      what: 'account_login at ann’s first socket',
    });
    const sent = await client.request('send_msg', { relation_id: annBob, msg_content: 'now' });
    expect(sent.status_code).toBe(0);
    // The other Socket.IO socket of the account gets the message of this one.
    await annSio.waitForEvent(
      (e) => e.event === PUSH_EVENTS.sendMsg && e.data.msg_info.id === sent.data.msg_id,
      'the message at ann’s other socket',
    );
    client.close();
    await waitFor(() => annSio.events.some((e) => e.event === PUSH_EVENTS.accountLogout), {
      what: 'account_logout at ann’s first socket',
    });
  });

  it('refuses a bad token at connect: an error event with 2008 and 4401, then a disconnect', async () => {
    const client = await sio('not-a-token');
    const { error, reason } = await closedWith(client);
    expect(error).toMatchObject({
      status_code: ErrorCode.AuthFailed,
      close_code: 4401,
      close_reason: 'authentication failed',
    });
    expect(reason).toBe('io server disconnect');
  });

  it('closes a connection that does not authenticate in time with 4401', async () => {
    const client = await sio();
    const started = Date.now();
    const { error, reason } = await closedWith(client);
    expect(Date.now() - started).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS - 500);
    expect(error).toMatchObject({
      status_code: ErrorCode.AuthMissing,
      close_code: 4401,
      close_reason: 'authentication timeout',
    });
    expect(reason).toBe('io server disconnect');
  }, 20_000);

  it('ends the session of a logged-out account: one error event (2013, 4401)', async () => {
    const cat = await openSession(stack, 'cat.sio@example.com', 'cat');
    const client = await sio(cat.accountToken);
    expect((await client.request('ping')).status_code).toBe(0);
    ok(await stack.api.post('/api/account/logout', { token: cat.accountToken }));
    const { error, reason } = await closedWith(client);
    expect(error).toEqual({
      status_code: ErrorCode.TokenExpired,
      status_msg: 'token revoked',
      close_code: 4401,
      close_reason: 'token revoked',
    });
    expect(reason).toBe('io server disconnect');
  });

  it('serves the WebSocket transport only: a long-polling client is refused', async () => {
    await expect(SioClient.connect(base, { transports: ['polling'] })).rejects.toThrow();
  });
});
