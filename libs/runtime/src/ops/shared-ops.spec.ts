import { Counter, Gauge, Histogram } from 'prom-client';
import { registerQueueDepth } from './metrics';
import { OpsEndpoints } from './ops-endpoints';
import { SharedOps } from './shared-ops';

/** `# TYPE` lines by metric name, and the sample lines, of an exposition. */
function read(text: string) {
  const types = new Map<string, number>();
  for (const m of text.matchAll(/^# TYPE (\S+) /gm)) types.set(m[1], (types.get(m[1]) ?? 0) + 1);
  const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return { types, samples };
}

describe('shared ops (one ops server for the roles of one process)', () => {
  it('serves the process figures once and each role’s series under its own app label', async () => {
    const shared = new SharedOps('standalone');
    const api = shared.registry('api');
    const gateway = shared.registry('gateway');
    new Counter({ name: 'test_api_hits_total', help: 'Hits.', registers: [api] }).inc(2);
    new Gauge({ name: 'test_open_sockets', help: 'Sockets.', registers: [gateway] }).set(3);
    const latency = new Histogram({
      name: 'test_seconds',
      help: 'Latency.',
      buckets: [0.1, 1],
      registers: [gateway],
    });
    latency.observe(0.5);

    const text = await shared.metrics();
    const { types, samples } = read(text);
    expect(samples).toContain('test_api_hits_total{app="api"} 2');
    expect(samples).toContain('test_open_sockets{app="gateway"} 3');
    expect(samples).toContain('test_seconds_bucket{le="0.1",app="gateway"} 0');
    expect(samples).toContain('test_seconds_bucket{le="1",app="gateway"} 1');
    expect(samples).toContain('test_seconds_count{app="gateway"} 1');
    // Node's process figures: once, for the process, not once per role.
    expect(samples.filter((l) => l.startsWith('process_cpu_seconds_total'))).toEqual([
      expect.stringMatching(/^process_cpu_seconds_total\{app="standalone"\} /),
    ]);
    expect(text).not.toMatch(/^process_\w+\{app="(api|gateway)"\}/m);
    for (const [name, count] of types) expect([name, count]).toEqual([name, 1]);
    expect(shared.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('lists the samples of a name two roles both register side by side, summing nothing', async () => {
    const shared = new SharedOps('standalone');
    const counts = { waiting: 4, active: 1, delayed: 0, failed: 2 };
    // The api (producer) and the mailer (worker) both report the email queue's depth.
    registerQueueDepth(shared.registry('api'), { name: 'email', counts: async () => counts });
    registerQueueDepth(shared.registry('mailer'), { name: 'email', counts: async () => counts });

    const { types, samples } = read(await shared.metrics());
    expect(types.get('chat_job_queue_jobs')).toBe(1);
    for (const app of ['api', 'mailer']) {
      expect(samples).toContain(
        `chat_job_queue_jobs{queue="email",state="waiting",app="${app}"} 4`,
      );
      expect(samples).toContain(`chat_job_queue_jobs{queue="email",state="failed",app="${app}"} 2`);
    }
  });

  it('is what /metrics of the process’s ops endpoints serves', async () => {
    const shared = new SharedOps('standalone');
    new Counter({
      name: 'test_role_total',
      help: 'A role.',
      registers: [shared.registry('mailer')],
    });
    const reply = await new OpsEndpoints(shared, []).answer('/metrics')!;
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe(shared.contentType);
    expect(reply.body).toContain('test_role_total{app="mailer"} 0');
  });
});

describe('public health', () => {
  it('answers 200 without any detail while serving, and 503 once shutdown has begun', async () => {
    const ops = new OpsEndpoints(new SharedOps('x'), [
      { name: 'database', check: async () => false },
    ]);
    expect(ops.publicHealth()).toEqual({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ status: 'ok' }),
    });
    // A dependency that fails shows on /readyz (the ops port), not here.
    expect((await ops.answer('/readyz'))!.status).toBe(503);
    ops.markStopping();
    expect(ops.publicHealth()).toEqual({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ status: 'stopping' }),
    });
  });
});
