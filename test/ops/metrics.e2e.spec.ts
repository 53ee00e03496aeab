import { Client } from 'pg';
import { PUSH_EVENTS, TOPICS } from '@chat/protocol';
import { waitFor, type RunningApp } from '@chat/testing';
import { ok } from '../e2e/support/http';
import { openSession, type Session } from '../e2e/support/session';
import { startStack, type Stack } from '../e2e/support/stack';
import { Scrape } from './support/prometheus';
import { TestSocket } from '../e2e/support/socket';

const APPS = ['api', 'gateway', 'persister', 'notifier', 'mailer'] as const;
type AppName = (typeof APPS)[number];

/**
 * Issue 7, operations: every distributed app, started as its own process, answers
 * `/healthz` and `/readyz` and serves the figures an operator watches at `/metrics`, all on
 * its ops port (issue 11: never on the api's or the gateway's public port, see
 * e2e/ops-ports.e2e.spec.ts); each figure exists and moves with real traffic over HTTP and
 * WebSocket.
 */
describe('ops endpoints of the distributed apps', () => {
  let stack: Stack;
  let ann: Session;
  let bob: Session;
  let relation: number;
  const opsUrl = {} as Record<AppName, string>;

  const scrape = (app: AppName) => Scrape.of(app, opsUrl[app]);
  const scrapeAll = async () =>
    Object.fromEntries(await Promise.all(APPS.map(async (a) => [a, await scrape(a)]))) as Record<
      AppName,
      Scrape
    >;

  beforeAll(async () => {
    stack = await startStack('ops_metrics', {}, { gateways: 1, workers: true });
    const byName = (name: string): RunningApp => stack.apps.find((a) => a.name === name)!;
    for (const app of APPS) {
      const url = byName(app).opsUrl;
      if (!url) throw new Error(`${app}: no ops URL`);
      opsUrl[app] = url;
    }
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.ops@example.com', 'ann'),
      openSession(stack, 'bob.ops@example.com', 'bob'),
    ]);
    relation = await ann.befriend(bob);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('every app answers /healthz and /readyz with 200, naming the dependencies it checked', async () => {
    const expected: Record<AppName, string[]> = {
      api: ['database', 'kafka', 'redis'],
      gateway: ['database', 'kafka', 'redis'],
      persister: ['database', 'kafka'],
      notifier: ['database', 'kafka', 'redis'],
      mailer: ['redis'],
    };
    for (const app of APPS) {
      const health = await fetch(`${opsUrl[app]}/healthz`);
      expect([app, health.status]).toEqual([app, 200]);
      const ready = await fetch(`${opsUrl[app]}/readyz`);
      const body = (await ready.json()) as { status: string; checks: Record<string, string> };
      expect([app, ready.status, body.status]).toEqual([app, 200, 'ready']);
      expect([app, Object.keys(body.checks).sort()]).toEqual([app, expected[app]]);
      expect(Object.values(body.checks).every((c) => c === 'ok')).toBe(true);
    }
  });

  it('each figure an operator watches exists and moves with traffic', async () => {
    const before = await scrapeAll();
    for (const app of APPS) {
      // Node's default process figures, on every app.
      expect([app, before[app].has('process_cpu_seconds_total')]).toEqual([app, true]);
      expect([app, before[app].has('nodejs_eventloop_lag_seconds')]).toEqual([app, true]);
    }

    // WebSocket traffic: ann on two devices, bob on one; messages both ways and a read.
    const annA = await TestSocket.open(stack.gateways[0].wsUrl, ann.accountToken);
    const annB = await TestSocket.open(stack.gateways[0].wsUrl, ann.accountToken);
    const bobA = await TestSocket.open(stack.gateways[0].wsUrl, bob.accountToken);
    const sockets = [annA, annB, bobA];
    try {
      const ids: number[] = [];
      for (let i = 0; i < 10; i++) {
        const from = i % 2 ? bobA : annA;
        const reply = await from.request('send_msg', {
          relation_id: relation,
          msg_content: `metrics ${i}`,
          client_msg_id: `metrics-${i}`,
        });
        expect(reply.status_code).toBe(0);
        ids.push(reply.data.msg_id as number);
      }
      // Pushes flowed: gateway → persister → notifier → gateway.
      await bobA.waitForPush(
        (p) => p.event === PUSH_EVENTS.sendMsg && p.data?.msg_info?.id === ids[8],
        'the last message from ann',
        20_000,
      );
      const read = await bobA.request('read_msg', { relation_id: relation, msg_ids: [ids[8]] });
      expect(read.status_code).toBe(0);

      const mid = await scrapeAll();
      // Gateway: sockets held, frames in and out, send→ack latency.
      expect(mid.gateway.sum('chat_gateway_open_sockets')).toBe(
        before.gateway.sum('chat_gateway_open_sockets') + 3,
      );
      expect(mid.gateway.sum('chat_gateway_authenticated_sockets')).toBeGreaterThanOrEqual(3);
      expect(mid.gateway.sum('chat_gateway_frames_in_total')).toBeGreaterThanOrEqual(
        before.gateway.sum('chat_gateway_frames_in_total') + 11,
      );
      expect(mid.gateway.sum('chat_gateway_frames_out_total')).toBeGreaterThanOrEqual(
        before.gateway.sum('chat_gateway_frames_out_total') + 11,
      );
      expect(
        mid.gateway.sum('chat_gateway_send_ack_seconds_count', { outcome: 'ok' }) -
          before.gateway.sum('chat_gateway_send_ack_seconds_count', { outcome: 'ok' }),
      ).toBe(10);
      expect(mid.gateway.sum('chat_gateway_send_ack_seconds_sum')).toBeGreaterThan(
        before.gateway.sum('chat_gateway_send_ack_seconds_sum'),
      );

      // Persister and notifier: committed offsets moved (the records were handled), with
      // batch sizes and durations per topic.
      const committed = async (app: 'persister' | 'notifier', topic: string) =>
        (await scrape(app)).sum('chat_consumer_committed_offset', { topic });
      await waitFor(
        async () =>
          (await committed('persister', TOPICS.messages)) >=
          before.persister.sum('chat_consumer_committed_offset', { topic: TOPICS.messages }) + 10,
        { what: 'the persister to commit the ten messages' },
      );
      await waitFor(
        async () =>
          (await committed('notifier', TOPICS.stored)) >=
          before.notifier.sum('chat_consumer_committed_offset', { topic: TOPICS.stored }) + 10,
        { what: 'the notifier to commit the ten stored records' },
      );
      for (const [app, topic] of [
        ['persister', TOPICS.messages],
        ['notifier', TOPICS.stored],
      ] as const) {
        const now = await scrape(app);
        expect(now.sum('chat_consumer_batch_records_count', { topic })).toBeGreaterThan(
          before[app].sum('chat_consumer_batch_records_count', { topic }),
        );
        expect(now.sum('chat_consumer_batch_records_sum', { topic })).toBeGreaterThanOrEqual(
          before[app].sum('chat_consumer_batch_records_sum', { topic }) + 10,
        );
        expect(now.sum('chat_consumer_batch_seconds_count', { topic })).toBeGreaterThan(
          before[app].sum('chat_consumer_batch_seconds_count', { topic }),
        );
        expect(now.sum('chat_consumer_end_offset', { topic })).toBeGreaterThanOrEqual(
          before[app].sum('chat_consumer_end_offset', { topic }) + 10,
        );
        // Series per partition of the topic (KAFKA_PARTITIONS = 3).
        expect(
          now
            .find('chat_consumer_lag_records', { topic })
            .map((s) => s.labels.partition)
            .sort(),
        ).toEqual(['0', '1', '2']);
      }

      await expectLagToGrowWhileTheDatabaseStalls(annA, bobA);
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
    }

    await expectQueueDepthToMove();
    ok(
      await stack.api.get('/api/account/info', {
        token: ann.accountToken,
        query: { account_id: bob.accountId },
      }),
    );

    // Api: request latency by route pattern, never by raw URL.
    const api = await scrape('api');
    const routes = new Set(
      api.find('chat_http_request_duration_seconds_count').map((s) => s.labels.route),
    );
    expect(routes).toContain('/api/user/register');
    expect(routes).toContain('/api/account/info');
    for (const route of routes) expect(route).toMatch(/^(\/[^?]*|unmatched)$/);
    const requests = (s: Scrape, route: string) =>
      s.sum('chat_http_request_duration_seconds_count', { route, method: 'POST' });
    // The two code requests of the queue checks above.
    expect(requests(api, '/api/email/send')).toBe(requests(before.api, '/api/email/send') + 2);
    expect(
      api.sum('chat_http_request_duration_seconds_count', { route: '/api/account/info' }),
    ).toBeGreaterThan(
      before.api.sum('chat_http_request_duration_seconds_count', { route: '/api/account/info' }),
    );

    // Api: the outbox relay published what the changes wrote (befriending: the application
    // pushes, "成为好友"), and nothing waits; the oldest-record age is there for alerting.
    expect(api.sum('chat_outbox_published_total')).toBeGreaterThan(0);
    expect(api.sum('chat_outbox_records')).toBe(0);
    expect(api.has('chat_outbox_oldest_record_age_seconds')).toBe(true);
    expect(api.has('chat_outbox_relay_failures_total')).toBe(true);

    // Mailer: every code mail above was sent.
    const mailer = await scrape('mailer');
    expect(mailer.sum('chat_mailer_send_attempts_total', { outcome: 'sent' })).toBeGreaterThan(
      before.mailer.sum('chat_mailer_send_attempts_total', { outcome: 'sent' }),
    );
  }, 180_000);

  /**
   * Consumer lag, read as committed offset against the high watermark: while Postgres holds
   * the tables the persister writes and the notifier reads, acked records pile up in Kafka
   * and both groups fall behind; once the lock goes, they catch up to zero.
   */
  async function expectLagToGrowWhileTheDatabaseStalls(annA: TestSocket, bobA: TestSocket) {
    const db = new Client({ connectionString: stack.ctx.databaseUrl });
    await db.connect();
    try {
      await db.query('begin');
      await db.query('lock table message, setting in access exclusive mode');
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        const reply = await annA.request('send_msg', {
          relation_id: relation,
          msg_content: `stalled ${i}`,
          client_msg_id: `stalled-${i}`,
        });
        expect(reply.status_code).toBe(0); // acked: Kafka has it, the database is not needed
        ids.push(reply.data.msg_id as number);
      }
      const read = await bobA.request('read_msg', { relation_id: relation, msg_ids: [ids[4]] });
      expect(read.status_code).toBe(0);
      await waitFor(
        async () =>
          (await scrape('persister')).sum('chat_consumer_lag_records', {
            topic: TOPICS.messages,
          }) >= 5,
        { what: 'the persister lag on chat.messages to reach the five stalled messages' },
      );
      await waitFor(
        async () =>
          (await scrape('notifier')).sum('chat_consumer_lag_records', { topic: TOPICS.reads }) >= 1,
        { what: 'the notifier lag on chat.reads to show the stalled read' },
      );
    } finally {
      await db.query('rollback').catch(() => undefined);
      await db.end();
    }
    for (const app of ['persister', 'notifier'] as const) {
      await waitFor(async () => (await scrape(app)).sum('chat_consumer_lag_records') === 0, {
        what: `${app} to catch up to zero lag`,
        timeoutMs: 30_000,
      });
    }
  }

  /**
   * Queue depth of the `email` queue, as the api (producer) and the mailer (worker) report
   * it: a mail the SMTP server holds is active; one it refuses for good is failed.
   */
  async function expectQueueDepthToMove() {
    const email = { queue: 'email' };
    const before = { api: await scrape('api'), mailer: await scrape('mailer') };
    for (const app of ['api', 'mailer'] as const) {
      for (const state of ['waiting', 'active', 'delayed', 'failed']) {
        expect([
          app,
          state,
          before[app].find('chat_job_queue_jobs', { ...email, state }).length,
        ]).toEqual([app, state, 1]);
      }
    }

    const hold = stack.sink.holdNext();
    ok(await stack.api.post('/api/email/send', { body: { email: 'held.ops@example.com' } }));
    await hold.arrived;
    try {
      for (const app of ['api', 'mailer'] as const) {
        const now = await scrape(app);
        expect([app, now.sum('chat_job_queue_jobs', { ...email, state: 'active' })]).toEqual([
          app,
          before[app].sum('chat_job_queue_jobs', { ...email, state: 'active' }) + 1,
        ]);
      }
    } finally {
      hold.release();
    }
    await stack.sink.waitFor((m) => m.to.includes('held.ops@example.com'));

    stack.sink.failNext(1, 550); // permanent: the job fails at once, no retry
    ok(await stack.api.post('/api/email/send', { body: { email: 'refused.ops@example.com' } }));
    for (const app of ['api', 'mailer'] as const) {
      await waitFor(
        async () =>
          (await scrape(app)).sum('chat_job_queue_jobs', { ...email, state: 'failed' }) ===
          before[app].sum('chat_job_queue_jobs', { ...email, state: 'failed' }) + 1,
        { what: `${app} to count the refused mail as failed` },
      );
    }
    await waitFor(
      async () =>
        (await scrape('mailer')).sum('chat_job_queue_jobs', { ...email, state: 'active' }) === 0,
      { what: 'no mail job left running' },
    );
  }
});
