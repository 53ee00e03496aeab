import { ErrorCode } from '@chat/protocol';
import { waitFor, WsClient, type RunningApp } from '@chat/testing';
import { Scrape } from '../ops/support/prometheus';
import { startTargetStack, type TargetStack } from './support/target';

/**
 * Issue 11: dependency detail and figures are for operators, on the ops port; the public
 * ports (the api's, the gateway's) answer a plain `/healthz` for a load balancer and
 * nothing else of the kind. On the standalone target the gateway's public port is the
 * api's (`/ws`), and one ops server serves every role.
 */
describe('ops endpoints: ops port only', () => {
  let stack: TargetStack;

  /** The process serving the api: the api app, or the standalone server. */
  const apiApp = (): RunningApp =>
    stack.apps.find((a) => a.name === 'api' || a.name === 'standalone')!;
  const opsUrl = (app: RunningApp): string => {
    if (!app.opsUrl) throw new Error(`${app.name}: no ops server found`);
    return app.opsUrl;
  };
  const publicPorts = (): [string, string][] => [
    ['api', stack.api.baseUrl],
    ['gateway', stack.gateways[0].wsUrl.replace(/^ws/, 'http').replace(/\/ws$/, '')],
  ];

  beforeAll(async () => {
    stack = await startTargetStack('e2e_ops_ports', {}, { gateways: 1 });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('the public ports answer /healthz with no detail, and /readyz and /metrics with 404', async () => {
    for (const [name, base] of publicPorts()) {
      const health = await fetch(`${base}/healthz`);
      expect([name, health.status, await health.json()]).toEqual([name, 200, { status: 'ok' }]);
      for (const path of ['/readyz', '/metrics']) {
        for (const method of ['GET', 'HEAD']) {
          const res = await fetch(`${base}${path}`, { method });
          const text = await res.text();
          expect([name, method, path, res.status]).toEqual([name, method, path, 404]);
          expect([name, path, text]).not.toEqual([
            name,
            path,
            expect.stringMatching(/database|kafka|redis|process_cpu|chat_/),
          ]);
        }
      }
    }
    // The api answers them as any unknown route (docs/api.md: 404 with status_code 1002).
    for (const path of ['/readyz', '/metrics']) {
      const reply = await stack.api.get(path);
      expect([path, reply.http, reply.status_code]).toEqual([path, 404, ErrorCode.NotFound]);
    }
  });

  it('the api’s ops port answers /healthz, /readyz with each dependency, and /metrics with its figures', async () => {
    const ops = opsUrl(apiApp());
    expect(ops).not.toBe(stack.api.baseUrl);
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
    const ready = await fetch(`${ops}/readyz`);
    const body = (await ready.json()) as { status: string; checks: Record<string, string> };
    expect([ready.status, body.status]).toEqual([200, 'ready']);
    const expected = stack.target === 'distributed' ? ['database', 'kafka', 'redis'] : ['database'];
    expect(Object.keys(body.checks).sort()).toEqual(expected);
    expect(Object.values(body.checks).every((c) => c === 'ok')).toBe(true);

    // Scrapes do not go through the api's router: one request here is one more counted.
    const count = (s: Scrape) => s.sum('chat_http_request_duration_seconds_count', { app: 'api' });
    const before = await Scrape.of('api', ops);
    expect(before.has('process_cpu_seconds_total')).toBe(true);
    expect(before.has('chat_job_queue_jobs')).toBe(true);
    expect((await stack.api.get('/api/account/info', { query: { account_id: 1 } })).http).toBe(200);
    await waitFor(async () => count(await Scrape.of('api', ops)) === count(before) + 1, {
      what: "the api's ops port to count the request",
    });
  });

  it('the gateway’s ops port answers /readyz and counts the sockets it holds at /metrics', async () => {
    const ops = opsUrl(stack.gateways[0].app);
    const ready = await fetch(`${ops}/readyz`);
    expect([ready.status, ((await ready.json()) as { status: string }).status]).toEqual([
      200,
      'ready',
    ]);
    const open = async () =>
      (await Scrape.of('gateway', ops)).sum('chat_gateway_open_sockets', { app: 'gateway' });
    const before = await open();
    const ws = await WsClient.connect(stack.gateways[0].wsUrl);
    try {
      await waitFor(async () => (await open()) === before + 1, {
        what: "the gateway's ops port to count the open socket",
      });
    } finally {
      await ws.close();
    }
    await waitFor(async () => (await open()) === before, {
      what: "the gateway's ops port to count the socket closed",
    });
  });
});
