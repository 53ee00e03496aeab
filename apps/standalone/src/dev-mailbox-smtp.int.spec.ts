import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, startApp, startSmtpSink, type RunningApp, type SmtpSink } from '@chat/testing';

/**
 * With an SMTP server configured, codes go to real inboxes: the dev mailbox page must not
 * exist (docs/web.md). The web app is still served at `/`.
 */
describe('the standalone server with SMTP configured', () => {
  let dataDir: string;
  let sink: SmtpSink;
  let app: RunningApp | undefined;
  let base: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'standalone-smtp-'));
    sink = await startSmtpSink();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await startApp({
      app: 'standalone',
      env: {
        DATABASE_URL: '',
        REDIS_URL: '',
        KAFKA_BROKERS: '',
        SMTP_URL: sink.url,
        DATA_DIR: dataDir,
        PORT: String(port),
        SERVER_API_OPS_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      },
      readyUrl: `${base}/healthz`,
      readyTimeoutMs: 90_000,
    });
  });

  afterAll(async () => {
    await app?.stop('SIGINT');
    await sink?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('mails the code over SMTP and has no dev mailbox page', async () => {
    const sent = await fetch(`${base}/api/email/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'smtp-user@example.com' }),
    });
    expect(((await sent.json()) as any).status_code).toBe(0);
    await sink.waitFor((m) => m.to.includes('smtp-user@example.com'), 15_000);

    for (const route of ['/dev/mailbox', '/dev/mailbox.json']) {
      const res = await fetch(`${base}${route}`, { headers: { accept: 'text/html' } });
      expect({ route, status: res.status }).toEqual({ route, status: 404 });
      expect(((await res.json()) as any).status_code).toBe(1002);
    }
    // The app itself (or, unbuilt, the page saying how to build it) is still at /.
    const index = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
    expect([200, 503]).toContain(index.status);
    expect(index.headers.get('content-type')).toContain('text/html');
  });
});
