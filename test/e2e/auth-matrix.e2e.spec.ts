import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import { ErrorCode } from '@chat/protocol';
import { WsClient } from '@chat/testing';
import { openSession, type Session } from './support/session';
import { TOKEN_KEY } from './support/stack';
import { startTargetStack, type TargetStack } from './support/target';

interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  scheme: 'userToken' | 'accountToken';
}

/** A bad credential, and the code every authenticated endpoint must answer it with. */
interface BadCredential {
  name: string;
  /** The Authorization header for an operation needing `scheme`, or undefined for none. */
  header(op: Operation): string | undefined;
  code: ErrorCode;
}

const OTHER_KEY = 'not-the-server-key-4f9a1c7e2b8d3056aa91c2e4';
const bearer = (t: string) => `Bearer ${t}`;
const typ = (op: Operation) => (op.scheme === 'userToken' ? 'user' : 'account');

/**
 * The authentication column of the authorization matrix: every REST operation the api's own
 * OpenAPI document marks as needing a token, called with each kind of bad credential,
 * answers the code of the spec, and nothing in the database changes (read back: every
 * table's rows hashed before and after, on the distributed target). The WebSocket upgrade
 * gets the same credentials and closes 4401.
 */
describe('authorization matrix: bad credentials on every authenticated endpoint', () => {
  let stack: TargetStack;
  let ann: Session;
  /** Tokens of a session that ended (its user logged out), both kinds. */
  let ended: { userToken: string; accountToken: string };
  let operations: Operation[];
  let db: Client | undefined;

  beforeAll(async () => {
    // The upload limit counts every request of an address before authentication (by design:
    // an anonymous flood is limited too); hundreds of calls from one address would meet it.
    stack = await startTargetStack('e2e_authz', { LIMIT_API_LIMIT_UPLOAD: '[]' }, { gateways: 1 });
    ann = await openSession(stack, 'ann.authz@example.com', 'ann');
    const bob = await openSession(stack, 'bob.authz@example.com', 'bob');
    ended = { userToken: bob.userToken, accountToken: bob.accountToken };
    const logout = await stack.api.post('/api/user/logout', { token: bob.userToken });
    expect(logout.status_code).toBe(0);
    const doc = (await (await fetch(`${stack.api.baseUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: object[] }>>;
    };
    operations = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const scheme = Object.keys(op.security?.[0] ?? {})[0];
        if (scheme === 'userToken' || scheme === 'accountToken') {
          operations.push({ method: method as Operation['method'], path, scheme });
        }
      }
    }
    if (stack.ctx) {
      db = new Client({ connectionString: stack.ctx.databaseUrl });
      await db.connect();
    }
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  /** Every table's rows, hashed: any insert, update or delete changes it. */
  async function snapshot(): Promise<Record<string, string>> {
    if (!db) return {};
    const { rows: tables } = await db.query<{ t: string }>(
      `select tablename as t from pg_tables where schemaname = current_schema()
        and tablename not like 'mikro_orm%' order by 1`,
    );
    const out: Record<string, string> = {};
    for (const { t } of tables) {
      const { rows } = await db.query<{ h: string | null }>(
        `select md5(string_agg(x::text, '|' order by x::text)) as h from "${t}" x`,
      );
      out[t] = rows[0].h ?? '';
    }
    return out;
  }

  const credentials = (): BadCredential[] => [
    { name: 'no token', header: () => undefined, code: ErrorCode.AuthMissing },
    {
      name: 'not a token',
      header: () => bearer('garbage.garbage.garbage'),
      code: ErrorCode.AuthFailed,
    },
    { name: 'another scheme', header: () => `Basic ${ann.userToken}`, code: ErrorCode.AuthFailed },
    {
      name: 'forged signature',
      header: (op) =>
        bearer(
          jwt.sign(
            { typ: typ(op), sub: String(op.scheme === 'userToken' ? 1 : ann.accountId) },
            OTHER_KEY,
            { expiresIn: 600 },
          ),
        ),
      code: ErrorCode.AuthFailed,
    },
    {
      name: 'expired',
      header: (op) =>
        bearer(
          jwt.sign(
            { typ: typ(op), sub: String(ann.accountId), exp: Math.floor(Date.now() / 1000) - 5 },
            TOKEN_KEY,
          ),
        ),
      code: ErrorCode.TokenExpired,
    },
    {
      name: 'the other kind of token',
      header: (op) => bearer(op.scheme === 'userToken' ? ann.accountToken : ann.userToken),
      code: ErrorCode.AuthFailed,
    },
    {
      name: 'a token of an ended session',
      header: (op) => bearer(op.scheme === 'userToken' ? ended.userToken : ended.accountToken),
      code: ErrorCode.TokenExpired,
    },
    {
      name: 'a subject that does not exist',
      header: (op) =>
        bearer(jwt.sign({ typ: typ(op), sub: '987654321' }, TOKEN_KEY, { expiresIn: 600 })),
      code: 0, // per kind, below
    },
  ];

  it('refuses each bad credential on every authenticated operation, changing nothing', async () => {
    expect(operations.length).toBeGreaterThan(40);
    const before = await snapshot();
    const wrong: string[] = [];
    let calls = 0;
    for (const op of operations) {
      for (const cred of credentials()) {
        const expected =
          cred.code !== 0
            ? cred.code
            : op.scheme === 'userToken'
              ? ErrorCode.UserNotFound
              : ErrorCode.AccountNotFound;
        const header = cred.header(op);
        const res = await fetch(`${stack.api.baseUrl}${op.path.replace(/\{[^}]+\}/g, '1')}`, {
          method: op.method.toUpperCase(),
          headers: {
            'content-type': 'application/json',
            ...(header ? { authorization: header } : {}),
          },
          body: op.method === 'get' ? undefined : '{}',
        });
        calls += 1;
        const body = (await res.json()) as { status_code: number; data?: unknown };
        if (body.status_code !== expected || body.data !== undefined) {
          wrong.push(
            `${op.method.toUpperCase()} ${op.path} with ${cred.name}: ${body.status_code}, expected ${expected}`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(calls).toBe(operations.length * credentials().length);
    expect(await snapshot()).toEqual(before);
    process.stdout.write(
      `\n[authz] ${operations.length} authenticated operations × ${credentials().length} bad credentials = ${calls} calls refused\n`,
    );
  }, 120_000);

  it('closes a WebSocket with 4401 for each bad credential at upgrade', async () => {
    const ws = stack.gateways[0].wsUrl;
    const op: Operation = { method: 'get', path: '/ws', scheme: 'accountToken' };
    for (const cred of credentials()) {
      const header = cred.header(op);
      if (!header) continue; // no token: the auth deadline, tested with the gateway
      const client = await WsClient.connect(ws, { headers: { authorization: header } });
      const closed = await client.closed;
      expect({ cred: cred.name, code: closed.code }).toEqual({ cred: cred.name, code: 4401 });
    }
    // And the real account token still works.
    const good = await WsClient.connect(ws, { token: ann.accountToken });
    expect((await good.request('ping')).status_code).toBe(0);
    await good.close();
  });
});
