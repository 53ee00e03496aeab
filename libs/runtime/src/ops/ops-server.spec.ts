import { Writable } from 'node:stream';
import { createLogger } from '@chat/logger';
import { Counter } from 'prom-client';
import { createMetricsRegistry } from './metrics';
import { OpsEndpoints } from './ops-endpoints';
import { startOpsServer, type OpsServer } from './ops-server';
import type { ReadinessCheck } from './readiness';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createLogger({ name: 'ops-test', destination }) };
}

describe('ops server', () => {
  const servers: OpsServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function serve(checks: ReadinessCheck[]) {
    const registry = createMetricsRegistry('probe-test');
    const endpoints = new OpsEndpoints(registry, checks);
    const { log, lines } = capturingLogger();
    const server = await startOpsServer(endpoints, { host: '127.0.0.1', port: 0, log });
    servers.push(server);
    const get = (path: string, method = 'GET') =>
      fetch(`http://127.0.0.1:${server.port}${path}`, { method });
    return { registry, endpoints, server, lines, get };
  }

  it('listens on a free port for port 0 and logs the port it took', async () => {
    const { server, lines } = await serve([]);
    expect(server.port).toBeGreaterThan(0);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'ops server listening', port: server.port }),
    );
  });

  it('answers /healthz with 200 and an unknown path with 404', async () => {
    const { get } = await serve([]);
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await get('/nothing')).status).toBe(404);
    expect((await get('/healthz', 'POST')).status).toBe(404);
  });

  it('answers /readyz with 200 when every dependency answers', async () => {
    const { get } = await serve([
      { name: 'database', check: async () => true },
      { name: 'redis', check: async () => undefined },
    ]);
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', redis: 'ok' },
    });
  });

  it('answers /readyz with 503 naming each dependency that fails, is down or hangs', async () => {
    const { get } = await serve([
      { name: 'database', check: async () => false },
      { name: 'redis', check: () => Promise.reject(new Error('connection refused')) },
      { name: 'kafka', check: () => new Promise(() => undefined) },
      { name: 'other', check: async () => true },
    ]);
    const t0 = Date.now();
    const ready = await get('/readyz');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'not ready',
      checks: {
        database: 'not connected',
        redis: 'connection refused',
        kafka: 'kafka did not answer within 2000 ms',
        other: 'ok',
      },
    });
  });

  it('answers /readyz with 503 once shutdown has begun, while /healthz stays 200', async () => {
    const { get, endpoints } = await serve([{ name: 'database', check: async () => true }]);
    expect((await get('/readyz')).status).toBe(200);
    endpoints.markStopping();
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'stopping' });
    expect((await get('/healthz')).status).toBe(200);
  });

  it('serves the registry at /metrics in the Prometheus text format', async () => {
    const { get, registry } = await serve([]);
    const hits = new Counter({ name: 'test_hits_total', help: 'Hits.', registers: [registry] });
    hits.inc(3);
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE test_hits_total counter');
    expect(text).toContain('test_hits_total{app="probe-test"} 3');
    // Node's default process figures come with every registry.
    expect(text).toMatch(/^process_cpu_seconds_total\{app="probe-test"\} /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{app="probe-test"\} /m);
  });

  it('stops listening on close, and a second close is harmless', async () => {
    const { server, get } = await serve([]);
    await server.close();
    await server.close();
    await expect(get('/healthz')).rejects.toThrow();
  });
});
