import jwt from 'jsonwebtoken';
import { CLOSE_CODES, ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import type { WsPush } from '@chat/testing';
import { ok, type ApiClient } from './support/http';
import { codeFor as sinkCode } from './support/actors';
import { offSpellings } from './support/ids';
import { frame, PushWatch, toEach } from './support/push-watch';
import { TOKEN_KEY } from './support/stack';
import { startTargetStack, type TargetStack } from './support/target';

/**
 * Users, email codes, accounts and tokens (docs/api.md §4–7) against the api, mailer, notifier
 * and two gateways running as separate processes on real Postgres, Redis, Kafka and an SMTP
 * sink, or against the standalone server (E2E_TARGET). Pushes are read on sockets, as the
 * accounts' devices see them.
 */
describe('users, email codes and accounts over REST', () => {
  let stack: TargetStack;
  let api: ApiClient;
  const watches: PushWatch[] = [];

  beforeAll(async () => {
    stack = await startTargetStack(
      'e2e_users',
      {
        // A short resend interval: one address gets several codes in this suite.
        RULE_USER_MARK_DURATION: '2s',
      },
      { gateways: 2 },
    );
    // The notifier carries the pushes to the gateways (on standalone it runs in the server).
    await stack.startWorker('notifier');
    api = stack.api;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(watches.map((watch) => watch.close()));
    await stack?.stop();
  });

  /** Opens sockets for these devices; closed when the suite ends. */
  async function watchDevices(...devices: { name: string; token: string }[]): Promise<PushWatch> {
    const watch = await PushWatch.open(stack, devices);
    watches.push(watch);
    return watch;
  }

  /** Asks for a code and reads it from the mail that arrived. */
  const codeFor = (email: string) => sinkCode(stack, email);

  async function register(email: string, password = 'secret-1') {
    const code = await codeFor(email);
    return ok(await api.post('/api/user/register', { body: { email, password, code } }));
  }

  it('answers ping with pang', async () => {
    const r = await api.get('/api/ping');
    expect(r).toEqual({ http: 200, status_code: 0, status_msg: 'ok', data: 'pang' });
  });

  it('registers with a code received by email, once per address', async () => {
    expect(ok(await api.get('/api/email/exist', { query: { email: 'ann@example.com' } }))).toEqual({
      exist: false,
    });
    const code = await codeFor('ann@example.com');
    const wrong = code === '000000' ? '111111' : '000000';
    expect(
      (
        await api.post('/api/user/register', {
          body: { email: 'ann@example.com', password: 'secret-1', code: wrong },
        })
      ).status_code,
    ).toBe(ErrorCode.EmailCodeInvalid);

    const reg = ok(
      await api.post('/api/user/register', {
        body: { email: 'ann@example.com', password: 'secret-1', code },
      }),
    );
    expect(reg.user_info).toMatchObject({ email: 'ann@example.com' });
    expect(Number.isSafeInteger(reg.user_info.id)).toBe(true);
    expect(reg.user_info.create_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(typeof reg.user_token.token).toBe('string');
    expect(Date.parse(reg.user_token.expired_at)).toBeGreaterThan(Date.now());
    expect(ok(await api.get('/api/email/exist', { query: { email: 'ANN@example.com' } }))).toEqual({
      exist: true,
    });

    // The code was used once; the address is taken case-insensitively.
    const again = await api.post('/api/user/register', {
      body: { email: 'Ann@Example.com', password: 'secret-1', code },
    });
    expect(again.status_code).toBe(ErrorCode.EmailRegistered);
  });

  it('refuses a second code to one address within the resend interval', async () => {
    await codeFor('bob@example.com');
    const r = await api.post('/api/email/send', { body: { email: 'bob@example.com' } });
    expect(r.status_code).toBe(ErrorCode.EmailSendTooOften);
  });

  it('logs in, and tells an unknown email from a wrong password', async () => {
    const r = ok(
      await api.post('/api/user/login', {
        body: { email: 'ann@example.com', password: 'secret-1' },
      }),
    );
    expect(r.user_info.email).toBe('ann@example.com');
    expect(
      (
        await api.post('/api/user/login', {
          body: { email: 'ann@example.com', password: 'secret-2' },
        })
      ).status_code,
    ).toBe(ErrorCode.WrongPassword);
    expect(
      (
        await api.post('/api/user/login', {
          body: { email: 'nobody@example.com', password: 'secret-1' },
        })
      ).status_code,
    ).toBe(ErrorCode.UserNotFound);
  });

  it('refuses logins once an email or a client address has failed too often, before checking the password', async () => {
    await register('lou@example.com');
    const login = (email: string, password: string, from?: string) =>
      api.post('/api/user/login', {
        body: { email, password },
        headers: from ? { 'X-Forwarded-For': from } : {},
      });
    // Limit.APILimit.LoginFailEmail default: 10 failures a minute per email (from any address).
    for (let i = 0; i < 10; i++) {
      const from = `198.51.100.${i + 1}`;
      expect((await login('lou@example.com', `wrong-${i}`, from)).status_code).toBe(
        ErrorCode.WrongPassword,
      );
    }
    const locked = await login('lou@example.com', 'secret-1', '198.51.100.99');
    expect(locked.status_code).toBe(ErrorCode.TooManyRequests);
    expect(locked.status_msg).toMatch(/too many failed logins: retry in \d+ s/);

    // LoginFailAddress default: 30 failures a minute per address; an IPv6 client counts by
    // its /64, and the test client is on loopback, which Server.TrustProxy believes.
    const net64 = (n: number) => `2001:db8:7:7::${n.toString(16)}`;
    for (let i = 0; i < 30; i++) {
      expect((await login(`ghost${i}@example.com`, 'secret-1', net64(i + 1))).status_code).toBe(
        ErrorCode.UserNotFound,
      );
    }
    expect((await login('ann@example.com', 'secret-1', net64(0xbeef))).status_code).toBe(
      ErrorCode.TooManyRequests,
    );
    // Another /64 and another address are not held back; a correct login does not count.
    ok(await login('ann@example.com', 'secret-1', '2001:db8:7:8::1'));
    ok(await login('ann@example.com', 'secret-1', '203.0.113.50'));
  });

  it('answers 1001 naming the field for bad input, and survives it', async () => {
    const missing = await api.post('/api/user/login', { body: { email: 'ann@example.com' } });
    expect(missing.status_code).toBe(ErrorCode.InvalidParams);
    expect(missing.status_msg).toMatch(/password/);

    const wrongType = await api.post('/api/user/login', {
      body: { email: 42, password: 'secret-1' },
    });
    expect(wrongType.status_code).toBe(ErrorCode.InvalidParams);
    expect(wrongType.status_msg).toMatch(/email/);

    const tooLong = await api.post('/api/user/login', {
      body: { email: 'ann@example.com', password: 'x'.repeat(33) },
    });
    expect(tooLong.status_code).toBe(ErrorCode.InvalidParams);
    expect(tooLong.status_msg).toMatch(/password: must be at most 32 characters/);

    const malformed = await api.post('/api/user/login', { rawBody: '{"email": "ann@' });
    expect(malformed).toMatchObject({ http: 200, status_code: ErrorCode.InvalidParams });
    expect(malformed.status_msg).toMatch(/malformed JSON/);

    const notObject = await api.post('/api/user/login', { rawBody: '[1,2]' });
    expect(notObject.status_code).toBe(ErrorCode.InvalidParams);

    const badEmail = await api.get('/api/email/exist', { query: { email: 'not-an-email' } });
    expect(badEmail.status_code).toBe(ErrorCode.InvalidParams);
    expect(badEmail.status_msg).toMatch(/email/);

    expect(ok(await api.get('/api/ping'))).toBe('pang');
  });

  it('answers 404/1002 for an unknown route and 200 to a CORS pre-flight', async () => {
    const r = await api.get('/api/no/such/route');
    expect(r).toMatchObject({ http: 404, status_code: ErrorCode.NotFound });
    const pre = await fetch(new URL('/api/user/login', api.baseUrl), { method: 'OPTIONS' });
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('checks tokens in the order of the spec', async () => {
    const { user_token, user_info } = ok(
      await api.post('/api/user/login', {
        body: { email: 'ann@example.com', password: 'secret-1' },
      }),
    );
    const missing = await api.get('/api/account/infos/user');
    expect(missing.status_code).toBe(ErrorCode.AuthMissing);
    const garbage = await api.get('/api/account/infos/user', { token: 'garbage' });
    expect(garbage.status_code).toBe(ErrorCode.AuthFailed);
    const badScheme = await api.get('/api/account/infos/user', {
      headers: { authorization: `Basic ${user_token.token}` },
    });
    expect(badScheme.status_code).toBe(ErrorCode.AuthFailed);
    const expired = jwt.sign(
      { typ: 'user', sub: String(user_info.id), exp: Math.floor(Date.now() / 1000) - 10 },
      TOKEN_KEY,
    );
    expect((await api.get('/api/account/infos/user', { token: expired })).status_code).toBe(
      ErrorCode.TokenExpired,
    );
    const tampered =
      user_token.token.slice(0, -2) + (user_token.token.endsWith('AA') ? 'BB' : 'AA');
    expect((await api.get('/api/account/infos/user', { token: tampered })).status_code).toBe(
      ErrorCode.AuthFailed,
    );
    // A user token on an account endpoint is the wrong kind.
    expect(
      (await api.get('/api/account/info', { token: user_token.token, query: { account_id: 1 } }))
        .status_code,
    ).toBe(ErrorCode.AuthFailed);
    const ghost = jwt.sign({ typ: 'user', sub: '999999' }, TOKEN_KEY, { expiresIn: 60 });
    expect((await api.get('/api/account/infos/user', { token: ghost })).status_code).toBe(
      ErrorCode.UserNotFound,
    );
    const ghostAccount = jwt.sign({ typ: 'account', sub: '999999' }, TOKEN_KEY, { expiresIn: 60 });
    expect(
      (await api.get('/api/account/info', { token: ghostAccount, query: { account_id: 1 } }))
        .status_code,
    ).toBe(ErrorCode.AccountNotFound);
  });

  describe('accounts', () => {
    let userToken: string;
    let otherUserToken: string;
    const accounts: { id: number; token: string }[] = [];
    /** The other user's account. */
    let carl: { id: number; token: string };
    /**
     * Devices of ann's five accounts (two of the first) and of carl, opened once the
     * accounts exist.
     */
    let watch: PushWatch;

    beforeAll(async () => {
      userToken = ok(
        await api.post('/api/user/login', {
          body: { email: 'ann@example.com', password: 'secret-1' },
        }),
      ).user_token.token;
      otherUserToken = (await register('carl@example.com')).user_token.token;
    });

    it('creates accounts up to the limit and refuses the next one', async () => {
      for (const name of ['ann', 'annie', 'anna', 'ann-work', 'ann-home']) {
        const r = ok(
          await api.post('/api/account/create', {
            token: userToken,
            body: { name, gender: '女', signature: `I am ${name}` },
          }),
        );
        expect(r).toMatchObject({ name, avatar: expect.any(String) });
        expect(typeof r.account_token.token).toBe('string');
        accounts.push({ id: r.id, token: r.account_token.token });
      }
      const sixth = await api.post('/api/account/create', {
        token: userToken,
        body: { name: 'ann-six', gender: '女', signature: 'one too many' },
      });
      expect(sixth.status_code).toBe(ErrorCode.AccountLimit);
      const list = ok(await api.get('/api/account/infos/user', { token: userToken }));
      expect(list.total).toBe(5);
      expect(list.list.map((a: { name: string }) => a.name)).toEqual([
        'ann',
        'annie',
        'anna',
        'ann-work',
        'ann-home',
      ]);
    });

    it('refuses a name the user already uses, and bad genders', async () => {
      const dup = await api.post('/api/account/create', {
        token: otherUserToken,
        body: { name: 'carl', gender: '男', signature: 'hi' },
      });
      carl = { id: ok(dup).id, token: ok(dup).account_token.token };
      const again = await api.post('/api/account/create', {
        token: otherUserToken,
        body: { name: 'carl', gender: '男', signature: 'hi' },
      });
      expect(again.status_code).toBe(ErrorCode.AccountNameUsed);
      const badGender = await api.post('/api/account/create', {
        token: otherUserToken,
        body: { name: 'carl2', gender: 'x', signature: 'hi' },
      });
      expect(badGender.status_code).toBe(ErrorCode.InvalidParams);
      expect(badGender.status_msg).toMatch(/gender/);
    });

    it('switches account tokens only among the user’s own accounts', async () => {
      const t = ok(
        await api.get('/api/account/token', {
          token: userToken,
          query: { account_id: accounts[1].id },
        }),
      );
      const info = ok(
        await api.get('/api/account/info', {
          token: t.account_token.token,
          query: { account_id: accounts[1].id },
        }),
      );
      expect(info).toMatchObject({
        id: accounts[1].id,
        name: 'annie',
        gender: '女',
        signature: 'I am annie',
      });
      // Its own self conversation is its relation with itself.
      expect(info.relation_id).toBeGreaterThan(0);
      const foreign = await api.get('/api/account/token', {
        token: otherUserToken,
        query: { account_id: accounts[1].id },
      });
      expect(foreign.status_code).toBe(ErrorCode.PermissionDenied);
      const missing = await api.get('/api/account/token', {
        token: userToken,
        query: { account_id: 987654 },
      });
      expect(missing.status_code).toBe(ErrorCode.AccountNotFound);
      const infoMissing = await api.get('/api/account/info', {
        token: t.account_token.token,
        query: { account_id: 987654 },
      });
      expect(infoMissing.status_code).toBe(ErrorCode.AccountNotFound);
    });

    it('updates an account, pushing update_account to its devices only; a taken name pushes nothing', async () => {
      const [first, second, third, fourth, fifth] = accounts;
      watch = await watchDevices(
        { name: 'first1', token: first.token },
        { name: 'first2', token: first.token },
        { name: 'annie', token: second.token },
        { name: 'anna', token: third.token },
        { name: 'ann-work', token: fourth.token },
        { name: 'ann-home', token: fifth.token },
        { name: 'carl', token: carl.token },
      );
      const { avatar } = ok(
        await api.get('/api/account/info', { token: first.token, query: { account_id: first.id } }),
      );
      // The refused call first: a push of it would share the bus key of the next one's and
      // arrive before it.
      const taken = await api.put('/api/account/update', {
        token: first.token,
        body: { name: 'annie', gender: '未知', signature: 'x' },
      });
      expect(taken.status_code).toBe(ErrorCode.AccountNameUsed);
      ok(
        await api.put('/api/account/update', {
          token: first.token,
          body: { name: 'ann-renamed', gender: '未知', signature: 'new signature' },
        }),
      );
      // Both devices of the account; not the user's other accounts, nor carl.
      await watch.expect(
        toEach(
          ['first1', 'first2'],
          frame(PUSH_EVENTS.updateAccount, {
            account_id: first.id,
            name: 'ann-renamed',
            gender: '未知',
            signature: 'new signature',
            avatar,
          }),
        ),
      );
    });

    it('searches accounts by name prefix, paged, with wildcards taken literally', async () => {
      const token = accounts[0].token;
      const all = ok(await api.get('/api/account/infos/name', { token, query: { name: 'ann' } }));
      expect(all.total).toBe(5);
      expect(all.list.map((a: { name: string }) => a.name)).toEqual([
        'ann-home',
        'ann-renamed',
        'ann-work',
        'anna',
        'annie',
      ]);
      const self = all.list.find((a: { account_id: number }) => a.account_id === accounts[0].id);
      expect(self.relation_id).toBeGreaterThan(0);
      const page2 = ok(
        await api.get('/api/account/infos/name', {
          token,
          query: { name: 'ann', page: 2, page_size: 2 },
        }),
      );
      expect(page2.list.map((a: { name: string }) => a.name)).toEqual(['ann-work', 'anna']);
      expect(page2.total).toBe(5);
      const literal = ok(
        await api.get('/api/account/infos/name', { token, query: { name: 'an%' } }),
      );
      expect(literal).toEqual({ list: [], total: 0 });
    });

    it('changes the email with a code sent to the new address, pushes update_email to every account of the user and ends the old tokens', async () => {
      watch.mark();
      const same = await api.put('/api/user/update/email', {
        token: userToken,
        body: { email: 'ANN@example.com', code: '123456' },
      });
      expect(same.status_code).toBe(ErrorCode.EmailSame);
      const taken = await api.put('/api/user/update/email', {
        token: userToken,
        body: { email: 'carl@example.com', code: '123456' },
      });
      expect(taken.status_code).toBe(ErrorCode.EmailRegistered);
      const code = await codeFor('ann.new@example.com');
      const wrong = await api.put('/api/user/update/email', {
        token: userToken,
        body: { email: 'ann.new@example.com', code: code === '000000' ? '111111' : '000000' },
      });
      expect(wrong.status_code).toBe(ErrorCode.EmailCodeInvalid);
      ok(
        await api.put('/api/user/update/email', {
          token: userToken,
          body: { email: 'ann.new@example.com', code },
        }),
      );
      // Every device of every account of the user hears of the new address, then its socket
      // is closed because the session ended (docs/protocol.md §2.2); carl hears nothing. As
      // the sockets of one account close, each may or may not tell the other before it
      // closes in turn (account_logout, §2.3): those frames are left out of the count.
      const annDevices = ['first1', 'first2', 'annie', 'anna', 'ann-work', 'ann-home'];
      await watch.expect(
        toEach(
          annDevices,
          frame(PUSH_EVENTS.updateEmail, { email: 'ann.new@example.com' }),
          frame(PUSH_EVENTS.error, {
            status_code: ErrorCode.TokenExpired,
            status_msg: 'token revoked',
          }),
        ),
        (push: WsPush) => push.event !== PUSH_EVENTS.accountLogout,
      );
      for (const name of annDevices) {
        expect({ name, code: (await watch.socket(name).closed).code }).toEqual({
          name,
          code: CLOSE_CODES.notAuthenticated,
        });
      }
      expect(watch.socket('carl').isOpen).toBe(true);
      // The change ended the user's sessions: the old token is refused, a new login works.
      const old = await api.get('/api/account/infos/user', { token: userToken });
      expect(old).toMatchObject({
        status_code: ErrorCode.TokenExpired,
        status_msg: 'token revoked',
      });
      userToken = ok(
        await api.post('/api/user/login', {
          body: { email: 'ann.new@example.com', password: 'secret-1' },
        }),
      ).user_token.token;
    });

    it('changes the password with a code sent to the current address and ends the old tokens', async () => {
      const code = await codeFor('ann.new@example.com');
      ok(
        await api.put('/api/user/update/pwd', {
          token: userToken,
          body: { code, new_password: 'secret-9' },
        }),
      );
      expect(
        (
          await api.post('/api/user/login', {
            body: { email: 'ann.new@example.com', password: 'secret-1' },
          })
        ).status_code,
      ).toBe(ErrorCode.WrongPassword);
      const old = await api.get('/api/account/infos/user', { token: userToken });
      expect(old).toMatchObject({
        status_code: ErrorCode.TokenExpired,
        status_msg: 'token revoked',
      });
      userToken = ok(
        await api.post('/api/user/login', {
          body: { email: 'ann.new@example.com', password: 'secret-9' },
        }),
      ).user_token.token;
      const reused = await api.put('/api/user/update/pwd', {
        token: userToken,
        body: { code, new_password: 'secret-8' },
      });
      expect(reused.status_code).toBe(ErrorCode.EmailCodeInvalid);
    });

    it('takes account ids from the query string in their canonical digits only, delete included', async () => {
      const spare = ok(
        await api.post('/api/account/create', {
          token: otherUserToken,
          body: { name: 'carl-spare', gender: '男', signature: 'spare' },
        }),
      );
      const spareToken: string = spare.account_token.token;
      const calls: [string, string, string][] = [
        ['GET', '/api/account/token', otherUserToken],
        ['GET', '/api/account/info', spareToken],
        ['DELETE', '/api/account/delete', otherUserToken],
      ];
      // Any other spelling of the id is refused, naming the field, and deletes nothing.
      for (const spelling of offSpellings(spare.id)) {
        for (const [method, path, token] of calls) {
          const r = await api.call(method, path, { token, query: { account_id: spelling } });
          expect([method, path, spelling, r.status_code, r.status_msg]).toEqual([
            method,
            path,
            spelling,
            ErrorCode.InvalidParams,
            expect.stringMatching(/^parameters not valid: account_id: /),
          ]);
        }
      }
      const missing = await api.delete('/api/account/delete', { token: otherUserToken });
      expect([missing.status_code, missing.status_msg]).toEqual([
        ErrorCode.InvalidParams,
        'parameters not valid: account_id: is required',
      ]);
      const digits = String(spare.id);
      const switched = ok(
        await api.get('/api/account/token', {
          token: otherUserToken,
          query: { account_id: digits },
        }),
      );
      expect(
        ok(
          await api.get('/api/account/info', {
            token: switched.account_token.token,
            query: { account_id: digits },
          }),
        ),
      ).toMatchObject({ id: spare.id, name: 'carl-spare', signature: 'spare' });
      const names = async () =>
        ok(await api.get('/api/account/infos/user', { token: otherUserToken })).list.map(
          (a: { name: string }) => a.name,
        );
      expect(await names()).toEqual(['carl', 'carl-spare']);

      // The delete with the id in the query string, as clients of the older server send it:
      // another user's account is refused as it is from the body, the own one is deleted.
      const foreign = await api.delete('/api/account/delete', {
        token: userToken,
        query: { account_id: digits },
      });
      expect(foreign.status_code).toBe(ErrorCode.PermissionDenied);
      const deleted = await api.delete('/api/account/delete', {
        token: otherUserToken,
        query: { account_id: digits },
      });
      expect(deleted).toEqual({ http: 200, status_code: 0, status_msg: 'ok' });
      expect(await names()).toEqual(['carl']);
      // Its token names a deleted account now (docs/api.md §1.4, check 5).
      const orphaned = await api.get('/api/account/info', {
        token: spareToken,
        query: { account_id: digits },
      });
      expect(orphaned.status_code).toBe(ErrorCode.AccountNotFound);
      const again = await api.delete('/api/account/delete', {
        token: otherUserToken,
        query: { account_id: digits },
      });
      expect(again.status_code).toBe(ErrorCode.AccountNotFound);
    });

    it('deletes accounts, closing their sockets, then the user, and the deleted account’s token stops working', async () => {
      const tokenOf = async (accountId: number): Promise<string> =>
        ok(
          await api.get('/api/account/token', {
            token: userToken,
            query: { account_id: accountId },
          }),
        ).account_token.token;
      const afterDeletion = await watchDevices(
        { name: 'deleted', token: await tokenOf(accounts[0].id) },
        { name: 'sibling', token: await tokenOf(accounts[1].id) },
        { name: 'carl', token: carl.token },
      );
      const stillOwns = await api.delete('/api/user/delete', { token: userToken });
      expect(stillOwns.status_code).toBe(ErrorCode.UserHasAccounts);
      const foreign = await api.delete('/api/account/delete', {
        token: otherUserToken,
        body: { account_id: accounts[0].id },
      });
      expect(foreign.status_code).toBe(ErrorCode.PermissionDenied);
      ok(
        await api.delete('/api/account/delete', {
          token: userToken,
          body: { account_id: accounts[0].id },
        }),
      );
      // An account without friends or groups: no push to anyone; its own socket is told why
      // and closed with 4403 (docs/protocol.md §2.2), the user's other account keeps its own.
      await afterDeletion.expect({
        deleted: [
          frame(PUSH_EVENTS.error, {
            status_code: ErrorCode.AccountNotFound,
            status_msg: 'account deleted',
          }),
        ],
      });
      expect((await afterDeletion.socket('deleted').closed).code).toBe(CLOSE_CODES.accountGone);
      expect(afterDeletion.socket('sibling').isOpen).toBe(true);
      for (const a of accounts.slice(1)) {
        ok(
          await api.delete('/api/account/delete', { token: userToken, body: { account_id: a.id } }),
        );
      }
      const gone = await api.get('/api/account/info', {
        token: accounts[0].token,
        query: { account_id: accounts[1].id },
      });
      expect(gone.status_code).toBe(ErrorCode.AccountNotFound);
      const deletedAgain = await api.delete('/api/account/delete', {
        token: userToken,
        body: { account_id: accounts[0].id },
      });
      expect(deletedAgain.status_code).toBe(ErrorCode.AccountNotFound);
      ok(await api.delete('/api/user/delete', { token: userToken }));
      expect((await api.get('/api/account/infos/user', { token: userToken })).status_code).toBe(
        ErrorCode.UserNotFound,
      );
    });
  });

  it('limits code emails per client and answers 1004', async () => {
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.post('/api/email/send', { body: { email: `burst${i}@example.com` } }),
      ),
    );
    const codes = replies.map((r) => r.status_code);
    expect(codes.filter((c) => c === ErrorCode.TooManyRequests).length).toBeGreaterThan(0);
    expect(codes.every((c) => c === 0 || c === ErrorCode.TooManyRequests)).toBe(true);
  });

  it('answers 1005 when a request outlives the deadline', async () => {
    const slow = await stack.startApi({ SERVER_DEFAULT_CONTEXT_TIMEOUT: '1ms' });
    try {
      const r = await slow.client.post('/api/user/login', {
        body: { email: 'carl@example.com', password: 'secret-1' },
      });
      expect(r.status_code).toBe(ErrorCode.Timeout);
    } finally {
      await slow.app.stop();
    }
  });

  it('serves its OpenAPI document and the docs page', async () => {
    const doc = (await (await fetch(new URL('/api/openapi.json', api.baseUrl))).json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/user/register', '/api/account/infos/name']),
    );
    expect(
      doc.paths['/api/user/register'].post.requestBody.content['application/json'].schema,
    ).toBeDefined();
    const page = await fetch(new URL('/api/docs/', api.baseUrl));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger');
  });

  it('serves the AsyncAPI document of the WebSocket protocol beside it', async () => {
    const res = await fetch(new URL('/api/asyncapi.json', api.baseUrl));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as any;
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.channels)).toEqual(['ws']);
    expect(doc.channels.ws.address).toBe('/ws');
    expect(Object.keys(doc.channels.ws.messages).sort()).toEqual(
      [
        'reply',
        ...[
          'auth',
          'send_msg',
          'read_msg',
          'ping',
          'typing',
          'presence_subscribe',
          'presence_unsubscribe',
          'presence_hidden',
        ].map((e) => `request.${e}`),
        ...Object.values(PUSH_EVENTS).map((e) => `push.${e}`),
      ].sort(),
    );
    const sendMsg = doc.components.messages['request.send_msg'].payload.properties.data;
    expect(sendMsg.properties.msg_content).toEqual({ type: 'string' });
    expect(sendMsg.required).toEqual(['relation_id', 'msg_content']);
    expect(doc.components.messages['push.send_msg'].payload.properties.data.properties).toEqual({
      msg_info: { $ref: '#/components/schemas/MsgInfoWithRly' },
    });
    expect(doc.components.schemas.MsgInfoWithRly.properties.seq).toBeDefined();
    expect(doc.channels.ws['x-close-codes'].map((c: { code: number }) => c.code)).toEqual(
      Object.values(CLOSE_CODES),
    );
  });
});
