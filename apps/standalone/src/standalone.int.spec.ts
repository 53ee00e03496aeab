import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import {
  prepareStandalone,
  waitFor,
  WsClient,
  type RunningApp,
  type StandaloneServer,
} from '@chat/testing';

/**
 * `npm start` as a newcomer runs it (docs/architecture.md, embedded default): no Postgres,
 * Redis, Kafka or SMTP configured, every role in one process on one port, data in the data
 * folder. Driven over HTTP and WebSocket only, like any client.
 */
describe('the standalone server', () => {
  /** Every port embedded, on one data folder and the same ports at each launch. */
  let server: StandaloneServer;
  let app: RunningApp | undefined;
  const base = () => server.baseUrl;
  const ops = () => server.opsUrl;
  const launch = () => server.launch();

  async function call(method: string, route: string, body?: unknown, token?: string) {
    const res = await fetch(`${base()}${route}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // Replies are read loosely, field by field, as a client would.
    return (await res.json()) as { status_code: number; status_msg: string; data?: any };
  }
  async function ok(method: string, route: string, body?: unknown, token?: string) {
    const reply = await call(method, route, body, token);
    if (reply.status_code !== 0) {
      throw new Error(`${route}: ${reply.status_code} ${reply.status_msg}`);
    }
    return reply.data;
  }

  async function register(email: string, name: string) {
    await ok('POST', '/api/email/send', { email });
    const code = await server.codeFromMailbox(email);
    // The dev mailbox also logs each mail, code included, for a developer reading the log
    // (the line is written after the file, and reaches this process a moment later).
    await waitFor(() => app!.output().includes(code!), { what: `the code ${code} in the log` });
    const user = await ok('POST', '/api/user/register', { email, password: 'secret-1', code });
    const account = await ok(
      'POST',
      '/api/account/create',
      { name, gender: '未知', signature: `${name} here` },
      user.user_token.token,
    );
    return { id: account.id as number, token: account.account_token.token as string };
  }

  beforeAll(async () => {
    server = await prepareStandalone('standalone-');
  });

  afterAll(async () => {
    await app?.stop('SIGKILL');
    await server?.remove();
  });

  /** Set by isolated.int.spec.ts, which runs this file in a network namespace of its own. */
  const isolated = process.env.STANDALONE_ISOLATED === '1';

  (isolated ? it : it.skip)('has no Postgres, Redis, Kafka or SMTP within reach', async () => {
    const refused = (p: number) =>
      new Promise<string>((resolve) => {
        const socket = net.connect(p, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve('open');
        });
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
    for (const p of [5432, 6379, 9092, 25, 587]) expect(await refused(p)).toBe('ECONNREFUSED');
  });

  it('serves the api and the WebSocket protocol on one port, keeps its data across a restart, and stops cleanly on Ctrl-C', async () => {
    app = await launch();
    const log = app.output();
    // One line per port naming its adapter: all embedded.
    for (const [port, adapter] of [
      ['database', 'pglite'],
      ['cache', 'memory'],
      ['bus', 'memory'],
      ['jobs', 'memory'],
      ['mail', 'dev-mailbox'],
      ['storage', 'local-disk'],
      ['push', 'dev-sink'],
    ]) {
      expect(log).toMatch(new RegExp(`"port":"${port}","adapter":"${adapter}"`));
    }
    expect(log).toContain('generated a random key and stored it');
    // The development server: no SMTP needed, and it says where the mails go instead.
    expect(log).toContain('Email.SmtpUrl is not set: mails go to the dev mailbox');
    // One ops server for every role, on its own port; the public port has /healthz only.
    expect(log.match(/"msg":"ops server listening"/g)).toHaveLength(1);
    expect(await (await fetch(`${base()}/healthz`)).json()).toEqual({ status: 'ok' });
    for (const path of ['/readyz', '/metrics']) {
      const res = await fetch(`${base()}${path}`);
      const body = (await res.json()) as { status_code: number };
      expect([path, res.status, body.status_code]).toEqual([path, 404, 1002]);
    }
    const ready = await fetch(`${ops()}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([
      200,
      { status: 'ready', checks: { database: 'ok' } },
    ]);

    const ann = await register('ann@example.com', 'ann');
    const bob = await register('bob@example.com', 'bob');
    await ok('POST', '/api/application/create', { account_id: bob.id, apply_msg: 'hi' }, ann.token);
    await ok('PUT', '/api/application/accept', { account_id: ann.id }, bob.token);
    const { relation_id: relation } = await ok(
      'GET',
      `/api/account/info?account_id=${bob.id}`,
      undefined,
      ann.token,
    );

    const wsUrl = server.wsUrl;
    const [annWs, bobWs] = await Promise.all([
      WsClient.connect(wsUrl, { token: ann.token }),
      WsClient.connect(wsUrl, { token: bob.token }),
    ]);
    expect((await bobWs.request('ping')).status_code).toBe(0);
    const ack = await annWs.request('send_msg', { relation_id: relation, msg_content: '你好 bob' });
    expect(ack.status_code).toBe(0);
    const push = await bobWs.waitForPush(
      (p) => p.event === 'send_msg' && p.data.msg_info.id === ack.data.msg_id,
      'the message at bob',
    );
    expect(push.data.msg_info).toMatchObject({ relation_id: relation, msg_content: '你好 bob' });
    // Every role's figures at the one /metrics, the process's own once.
    const metrics = await (await fetch(`${ops()}/metrics`)).text();
    expect(metrics).toMatch(/^chat_gateway_open_sockets\{app="gateway"\} 2$/m);
    expect(metrics).toMatch(/^chat_http_request_duration_seconds_count\{.*app="api"\} \d+$/m);
    expect(metrics).toMatch(/^chat_consumer_batch_records_count\{.*app="persister"\} \d+$/m);
    expect(metrics).toMatch(/^chat_mailer_send_attempts_total\{outcome="sent",app="mailer"\} 2$/m);
    expect(metrics.match(/^process_cpu_seconds_total\{/gm)).toEqual(['process_cpu_seconds_total{']);

    // Ctrl-C: sockets are told the server goes away, the process exits 0.
    const [exit, closed] = await Promise.all([app.stop('SIGINT'), bobWs.closed]);
    expect(exit).toBe(0);
    expect(closed.code).toBe(1001);
    expect(app.output()).toContain('"msg":"stopped"');
    await annWs.close();

    app = await launch();
    expect(app.output()).toContain('using the key stored earlier');
    // Tokens signed before the restart still work, and the message is in history.
    const synced = await ok(
      'POST',
      '/api/msg/sync',
      { relations: [{ relation_id: relation, after_seq: 0 }], limit: 50 },
      bob.token,
    );
    expect(synced.list[0].messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: ack.data.msg_id, msg_content: '你好 bob' }),
      ]),
    );
    // bob is offline now: a message to him goes to his registered device, which the
    // development server writes under the data folder (docs/push-notifications.md).
    await ok('POST', '/api/push/register', { platform: 'fcm', token: 'bob-phone' }, bob.token);
    const annAgain = await WsClient.connect(wsUrl, { token: ann.token });
    const offlineAck = await annAgain.request('send_msg', {
      relation_id: relation,
      msg_content: 'are you there?',
    });
    expect(offlineAck.status_code).toBe(0);
    const pushDir = path.join(server.dataDir, 'push');
    const note = await waitFor(
      async () => {
        const files = await readdir(pushDir).catch(() => [] as string[]);
        for (const f of files.filter((n) => n.endsWith('.json'))) {
          const n = JSON.parse(await readFile(path.join(pushDir, f), 'utf8')) as {
            token: string;
            title: string;
            body: string;
            collapseKey: string;
          };
          if (n.body === 'are you there?') return n;
        }
        return undefined;
      },
      { what: 'the notification in the dev push sink' },
    );
    expect(note).toMatchObject({ token: 'bob-phone', title: 'ann', collapseKey: `r${relation}` });
    await annAgain.close();
    const login = await ok('POST', '/api/user/login', {
      email: 'ann@example.com',
      password: 'secret-1',
    });
    expect(login.user_token.token).toEqual(expect.any(String));
    expect(await app.stop('SIGINT')).toBe(0);
    app = undefined;
  });
});
