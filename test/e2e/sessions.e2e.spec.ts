import { ErrorCode } from '@chat/protocol';
import { waitFor, WsClient } from '@chat/testing';
import { codeFor, createAccount, registerUser, type Actor } from './support/actors';
import { ok, type ApiClient } from './support/http';
import { TestSocket } from './support/socket';
import { startTargetStack, type TargetStack } from './support/target';

/** Account tokens live this long in this suite, so that one can be watched expiring. */
const ACCOUNT_TOKEN_SEC = 8;
/** "At once": how long an ended session's socket may stay open after the change answered. */
const PROMPT_MS = 3000;

/**
 * Sessions end with their rights (docs/architecture.md, guarantees): a password or email change,
 * a logout (user-wide or one account) and a deletion end the tokens issued before over REST
 * and close the sockets opened with them at once, on every gateway, while everyone else's
 * stay; a socket is closed when its token expires even if it only answers pings. Two
 * gateways, the api and the workers as separate processes, or the standalone server.
 */
describe('sessions and tokens', () => {
  let stack: TargetStack;
  let api: ApiClient;
  const sockets: (TestSocket | WsClient)[] = [];

  interface Person {
    email: string;
    password: string;
    userToken: string;
    accounts: Actor[];
  }

  let people = 0;
  /** A registered user with `accounts` accounts. */
  async function person(accounts = 1): Promise<Person> {
    const tag = `p${++people}`;
    const email = `${tag}.sessions@example.com`;
    const user = await registerUser(stack, email);
    const created: Actor[] = [];
    for (let i = 0; i < accounts; i++) {
      created.push(await createAccount(api, user.token, `${tag}-${i}`));
    }
    return { email, password: 'secret-1', userToken: user.token, accounts: created };
  }

  /** A fresh account token (account tokens are short-lived here). */
  async function accountToken(userToken: string, account: Actor) {
    return ok(
      await api.get('/api/account/token', { token: userToken, query: { account_id: account.id } }),
    ).account_token as { token: string; expired_at: string };
  }

  /** An authenticated socket on gateway `gw` (1 or 2). */
  async function socket(token: string, gw: 1 | 2): Promise<TestSocket> {
    const ws = await TestSocket.open(stack.gateways[gw - 1].wsUrl, token);
    sockets.push(ws);
    expect((await ws.request('ping')).status_code).toBe(0);
    return ws;
  }

  /** Sockets of someone else, who must not be affected, one on each gateway. */
  async function bystanders(): Promise<TestSocket[]> {
    const { token } = await accountToken(other.userToken, other.accounts[0]);
    return [await socket(token, 1), await socket(token, 2)];
  }

  async function expectStillOpen(clients: TestSocket[]): Promise<void> {
    for (const ws of clients) {
      expect(ws.isOpen).toBe(true);
      expect((await ws.request('ping')).status_code).toBe(0);
    }
  }

  /** Resolves with the close of `ws`, or fails once `ms` passed. */
  async function closedWithin(ws: TestSocket | WsClient, ms: number) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([ws.closed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The socket is closed with `code` promptly, after the `error` push when 4401. */
  async function expectClosed(ws: TestSocket, code: 4401 | 4403, message?: string) {
    const closed = await closedWithin(ws, PROMPT_MS);
    expect(closed.code).toBe(code);
    if (message) {
      expect(ws.pushes).toContainEqual({
        event: 'error',
        data: { status_code: ErrorCode.TokenExpired, status_msg: message },
      });
    }
  }

  /** The token answers `code` (and, for 2013, the message saying why) on an endpoint of its kind. */
  async function expectRefused(
    kind: 'user' | 'account',
    token: string,
    code: number,
    msg?: string,
  ) {
    const reply =
      kind === 'user'
        ? await api.get('/api/account/infos/user', { token })
        : await api.get('/api/setting/pins', { token });
    expect({
      status_code: reply.status_code,
      ...(msg ? { status_msg: reply.status_msg } : {}),
    }).toEqual({ status_code: code, ...(msg ? { status_msg: msg } : {}) });
  }

  async function login(p: Person): Promise<string> {
    return ok(await api.post('/api/user/login', { body: { email: p.email, password: p.password } }))
      .user_token.token as string;
  }

  let other: Person;

  beforeAll(async () => {
    stack = await startTargetStack(
      'e2e_sessions',
      {
        // Several codes go to one address (registration, then a password change).
        RULE_USER_MARK_DURATION: '1s',
        TOKEN_ACCOUNT_TOKEN_DURATION: `${ACCOUNT_TOKEN_SEC}s`,
      },
      { gateways: 2, workers: true },
    );
    api = stack.api;
    other = await person();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(sockets.map((ws) => ws.close()));
    await stack?.stop();
  });

  it('a password change ends the user token and every account token, on REST and sockets', async () => {
    const p = await person(2);
    const [a, b] = p.accounts;
    // The code first: account tokens are short-lived here, and mail takes its time.
    const code = await codeFor(stack, p.email);
    const aToken = (await accountToken(p.userToken, a)).token;
    const bToken = (await accountToken(p.userToken, b)).token;
    const aSocket = await socket(aToken, 1);
    const bSocket = await socket(bToken, 2);
    const others = await bystanders();

    ok(
      await api.put('/api/user/update/pwd', {
        token: p.userToken,
        body: { code, new_password: 'secret-2' },
      }),
    );
    await expectClosed(aSocket, 4401, 'token revoked');
    await expectClosed(bSocket, 4401, 'token revoked');
    await expectRefused('user', p.userToken, ErrorCode.TokenExpired, 'token revoked');
    await expectRefused('account', aToken, ErrorCode.TokenExpired, 'token revoked');
    await expectRefused('account', bToken, ErrorCode.TokenExpired, 'token revoked');
    await expectStillOpen(others);

    // A stolen old token cannot come back on a socket either: given with the upgrade (the
    // raw client; the SDK authenticates with an `auth` request), it is refused with a close.
    const again = await WsClient.connect(stack.gateways[0].wsUrl, { token: aToken });
    sockets.push(again);
    expect((await closedWithin(again, PROMPT_MS)).code).toBe(4401);

    // The new password logs in, and its tokens work on REST and sockets.
    p.password = 'secret-2';
    const userToken = await login(p);
    const fresh = await accountToken(userToken, a);
    const ws = await socket(fresh.token, 2);
    ok(await api.get('/api/setting/pins', { token: fresh.token }));
    expect(ws.isOpen).toBe(true);
  });

  it('an email change ends the tokens the same way', async () => {
    const p = await person(1);
    p.email = `moved.${p.email}`;
    const code = await codeFor(stack, p.email);
    const token = (await accountToken(p.userToken, p.accounts[0])).token;
    const ws = await socket(token, 2);
    const others = await bystanders();

    ok(
      await api.put('/api/user/update/email', {
        token: p.userToken,
        body: { email: p.email, code },
      }),
    );
    await expectClosed(ws, 4401, 'token revoked');
    await expectRefused('user', p.userToken, ErrorCode.TokenExpired, 'token revoked');
    await expectRefused('account', token, ErrorCode.TokenExpired, 'token revoked');
    await expectStillOpen(others);
    ok(await api.get('/api/account/infos/user', { token: await login(p) }));
  });

  it('POST /api/user/logout ends every token of the user on every device', async () => {
    const p = await person(2);
    const [a, b] = p.accounts;
    const secondDevice = await login(p);
    const aToken = (await accountToken(p.userToken, a)).token;
    const aSockets = [await socket(aToken, 1), await socket(aToken, 2)];
    const bSocket = await socket((await accountToken(secondDevice, b)).token, 1);
    const others = await bystanders();

    expect(await api.post('/api/user/logout', { token: p.userToken })).toMatchObject({
      status_code: 0,
    });
    for (const ws of [...aSockets, bSocket]) await expectClosed(ws, 4401, 'token revoked');
    await expectRefused('user', p.userToken, ErrorCode.TokenExpired, 'token revoked');
    await expectRefused('user', secondDevice, ErrorCode.TokenExpired, 'token revoked');
    await expectRefused('account', aToken, ErrorCode.TokenExpired, 'token revoked');
    await expectStillOpen(others);
    // An account token is no way to log a user out.
    const fresh = (await accountToken(await login(p), a)).token;
    expect((await api.post('/api/user/logout', { token: fresh })).status_code).toBe(
      ErrorCode.AuthFailed,
    );
    ok(await api.get('/api/setting/pins', { token: fresh }));
  });

  it('POST /api/account/logout ends the tokens of that account only', async () => {
    const p = await person(2);
    const [a, b] = p.accounts;
    const aToken = (await accountToken(p.userToken, a)).token;
    const aOther = (await accountToken(p.userToken, a)).token;
    const bToken = (await accountToken(p.userToken, b)).token;
    const aSockets = [await socket(aToken, 1), await socket(aOther, 2)];
    const bSocket = await socket(bToken, 2);
    const others = await bystanders();

    ok(await api.post('/api/account/logout', { token: aToken }));
    for (const ws of aSockets) await expectClosed(ws, 4401, 'token revoked');
    await expectRefused('account', aToken, ErrorCode.TokenExpired, 'token revoked');
    await expectRefused('account', aOther, ErrorCode.TokenExpired, 'token revoked');
    // The user's token and its other account are untouched.
    await expectStillOpen([bSocket, ...others]);
    ok(await api.get('/api/setting/pins', { token: bToken }));
    ok(await api.get('/api/account/infos/user', { token: p.userToken }));
    // A user token is no way to log an account out; a new account token works.
    expect((await api.post('/api/account/logout', { token: p.userToken })).status_code).toBe(
      ErrorCode.AuthFailed,
    );
    const fresh = (await accountToken(p.userToken, a)).token;
    await socket(fresh, 1);
    ok(await api.get('/api/setting/pins', { token: fresh }));
  });

  it('deleting an account closes its sockets with 4403; deleting the user ends its token', async () => {
    const p = await person(2);
    const [a, b] = p.accounts;
    const aToken = (await accountToken(p.userToken, a)).token;
    const bToken = (await accountToken(p.userToken, b)).token;
    const aSockets = [await socket(aToken, 1), await socket(aToken, 2)];
    const bSocket = await socket(bToken, 1);
    const others = await bystanders();

    ok(await api.delete('/api/account/delete', { token: p.userToken, body: { account_id: a.id } }));
    for (const ws of aSockets) await expectClosed(ws, 4403);
    await expectRefused('account', aToken, ErrorCode.AccountNotFound);
    await expectStillOpen([bSocket, ...others]);

    ok(await api.delete('/api/account/delete', { token: p.userToken, body: { account_id: b.id } }));
    await expectClosed(bSocket, 4403);
    ok(await api.delete('/api/user/delete', { token: p.userToken }));
    await expectRefused('user', p.userToken, ErrorCode.UserNotFound);
    expect(
      (await api.post('/api/user/login', { body: { email: p.email, password: p.password } }))
        .status_code,
    ).toBe(ErrorCode.UserNotFound);
    await expectStillOpen(others);
  });

  it('closes a socket with 4401 when its token expires, though it only answers pings', async () => {
    const p = await person(1);
    const issued = await accountToken(p.userToken, p.accounts[0]);
    const expiresAt = Date.parse(issued.expired_at);
    const quiet = await socket(issued.token, 1);
    // A socket opened a little later, with a token that expires a little later.
    await new Promise((r) => setTimeout(r, 1500));
    const later = await accountToken(p.userToken, p.accounts[0]);
    const laterSocket = await socket(later.token, 2);
    expect(Date.parse(later.expired_at)).toBeGreaterThan(expiresAt);

    // The client library answers the server's WebSocket pings by itself; it sends nothing.
    await waitFor(() => Date.now() >= expiresAt - 500, {
      timeoutMs: ACCOUNT_TOKEN_SEC * 1000,
      intervalMs: 50,
      what: 'half a second before the expiry',
    });
    expect(quiet.isOpen).toBe(true);
    const closed = await closedWithin(quiet, 500 + PROMPT_MS);
    expect(closed.code).toBe(4401);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(quiet.pushes).toContainEqual({
      event: 'error',
      data: { status_code: ErrorCode.TokenExpired, status_msg: 'token expired' },
    });
    if (Date.now() < Date.parse(later.expired_at)) expect(laterSocket.isOpen).toBe(true);
    await expectRefused('account', issued.token, ErrorCode.TokenExpired, 'token expired');
    expect((await closedWithin(laterSocket, ACCOUNT_TOKEN_SEC * 1000)).code).toBe(4401);
  });
});
