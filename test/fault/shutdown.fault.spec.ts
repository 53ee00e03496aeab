import { Client } from 'pg';
import { PUSH_EVENTS } from '@chat/protocol';
import { startApp, waitFor, type RunningApp } from '@chat/testing';
import { ok } from '../e2e/support/http';
import { Load, waitUntilStored } from '../e2e/support/load';
import { openSession, type Session } from '../e2e/support/session';
import { startStandaloneStack } from '../e2e/support/standalone-stack';
import { startStack, type Stack } from '../e2e/support/stack';
import { TestSocket } from '../e2e/support/socket';

/** `Server.ShutdownTimeout` of the started apps (config default). */
const SHUTDOWN_TIMEOUT_MS = 15_000;
/** Sends SIGTERM and reports the exit code and how long the app took to exit. */
async function terminate(app: RunningApp): Promise<{ code: number | string; ms: number }> {
  const t0 = Date.now();
  // A generous grace before SIGKILL, so a missed deadline shows as exit 1, not as a kill.
  const code = await app.stop('SIGTERM', SHUTDOWN_TIMEOUT_MS + 10_000);
  const ms = Date.now() - t0;
  process.stdout.write(`\n[shutdown] ${app.name}: SIGTERM → exit ${code} in ${ms} ms\n`);
  if (code !== 0 || ms >= SHUTDOWN_TIMEOUT_MS) {
    process.stderr.write(
      `\n--- ${app.name} exited ${code} after ${ms} ms ---\n${app.output().slice(-4000)}\n`,
    );
  }
  return { code, ms };
}

/**
 * docs/architecture.md: on SIGTERM every app stops taking work, drains, commits, closes its
 * connections and exits 0 within `Server.ShutdownTimeout` (docs/development.md §4), losing nothing: each
 * app is stopped under load, and what it had accepted is done by it or by its successor.
 */
describe('graceful shutdown under load', () => {
  let stack: Stack;
  let ann: Session;
  let bob: Session;
  let relations: number[];
  let db: Client;

  beforeAll(async () => {
    stack = await startStack(
      'fault_shutdown',
      {
        GATEWAY_FRAMES_PER_SECOND: '0',
        LIMIT_API_LIMIT_EMAIL: '[]',
        // Workers are stopped under load here on purpose: the gateways must keep acking
        // meanwhile (Kafka holds the records), not push back (overload.fault.spec.ts).
        GATEWAY_MAX_PIPELINE_BACKLOG: '0',
      },
      { gateways: 2, workers: true },
    );
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.stop@example.com', 'ann'),
      openSession(stack, 'bob.stop@example.com', 'bob'),
    ]);
    relations = [await ann.befriend(bob), await ann.createGroup('stop', [bob])];
    db = new Client({ connectionString: stack.ctx.databaseUrl });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  const app = (name: string) => stack.apps.filter((a) => a.name === name).at(-1)!;

  /** Waits until every acked message is in Postgres, and checks none is stored twice. */
  async function expectStored(acked: Map<number, number>) {
    const ids = [...acked.keys()];
    await waitUntilStored(db, ids, 60_000);
    const { rows } = await db.query<{ n: string; seqs: string }>(
      `select count(*) as n, count(distinct (relation_id, seq)) as seqs
         from message where relation_id = any($1::bigint[])`,
      [relations],
    );
    expect(Number(rows[0].seqs)).toBe(Number(rows[0].n)); // one sequence number each
  }

  it('a gateway closes its sockets with 1001, exits 0 in time, and every message it acked is stored', async () => {
    const [gw1, gw2] = stack.gateways;
    const onGw1 = await Promise.all(
      [ann, bob, ann, bob].map((s) => TestSocket.open(gw1.wsUrl, s.accountToken)),
    );
    const onGw2 = await Promise.all(
      [ann, bob].map((s) => TestSocket.open(gw2.wsUrl, s.accountToken)),
    );
    const load = new Load([...onGw1, ...onGw2], relations, 'gw');
    try {
      await load.waitForAcks(300, '300 acks before SIGTERM');
      const { code, ms } = await terminate(gw1.app);
      expect(code).toBe(0);
      expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      for (const ws of onGw1) expect((await ws.closed).code).toBe(1001);
      // The other gateway kept taking messages meanwhile.
      const after = load.acked.size;
      await load.waitForAcks(after + 100, '100 more acks on the other gateway');
    } finally {
      await load.stop();
      await Promise.all(onGw2.map((ws) => ws.close()));
    }
    expect(gw1.app.output()).toContain('"msg":"stopped"');
    await expectStored(load.acked);
  }, 180_000);

  it('the persister finishes its batch, exits 0 in time, and its successor stores every acked message once', async () => {
    const gw = stack.gateways[1];
    const clients = await Promise.all(
      [ann, bob, ann, bob].map((s) => TestSocket.open(gw.wsUrl, s.accountToken)),
    );
    const load = new Load(clients, relations, 'persister');
    try {
      await load.waitForAcks(300, '300 acks before SIGTERM');
      const { code, ms } = await terminate(app('persister'));
      expect(code).toBe(0);
      expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      // Acks go on without a persister: Kafka holds the records.
      const after = load.acked.size;
      await load.waitForAcks(after + 100, '100 acks while no persister runs');
      await stack.startWorker('persister');
      await load.waitForAcks(load.acked.size + 100, '100 acks after the restart');
    } finally {
      await load.stop();
      await Promise.all(clients.map((ws) => ws.close()));
    }
    await expectStored(load.acked);
  }, 180_000);

  it('the notifier exits 0 in time, and after a restart pushes resume, including what was sent meanwhile', async () => {
    const gw = stack.gateways[1];
    const annWs = await TestSocket.open(gw.wsUrl, ann.accountToken);
    const bobWs = await TestSocket.open(gw.wsUrl, bob.accountToken);
    const loaders = await Promise.all(
      [ann, ann].map((s) => TestSocket.open(gw.wsUrl, s.accountToken)),
    );
    const pushed = (id: number) =>
      bobWs.waitForPush(
        (p) => p.event === PUSH_EVENTS.sendMsg && p.data?.msg_info?.id === id,
        `the push of message ${id}`,
        30_000,
      );
    const send = async (text: string) => {
      const reply = await annWs.request('send_msg', {
        relation_id: relations[0],
        msg_content: text,
      });
      expect(reply.status_code).toBe(0);
      return reply.data.msg_id as number;
    };
    const load = new Load(loaders, relations, 'notifier');
    try {
      await pushed(await send('before'));
      await load.waitForAcks(200, '200 acks before SIGTERM');
      const { code, ms } = await terminate(app('notifier'));
      expect(code).toBe(0);
      expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);

      const meanwhile = await send('while the notifier is down');
      await stack.startWorker('notifier');
      await pushed(meanwhile);
      await pushed(await send('after the restart'));
    } finally {
      await load.stop();
      await Promise.all([annWs, bobWs, ...loaders].map((ws) => ws.close()));
    }
  }, 180_000);

  it('the mailer finishes the mails it is sending, exits 0 in time, and the next mailer sends the rest', async () => {
    const mailer = app('mailer');
    // The mailer sends 4 at once: all four are held mid-send by the SMTP server.
    const holds = Array.from({ length: 4 }, () => stack.sink.holdNext());
    const addresses = Array.from({ length: 12 }, (_, i) => `queued${i}.stop@example.com`);
    for (const email of addresses) ok(await stack.api.post('/api/email/send', { body: { email } }));
    await Promise.all(holds.map((h) => h.arrived));

    const stopping = terminate(mailer);
    // It must wait for the mails in flight rather than exit (or fail them) at once.
    await new Promise((r) => setTimeout(r, 1000));
    expect(mailer.output()).not.toContain('"msg":"stopped"');
    for (const h of holds) h.release();
    const { code, ms } = await stopping;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    const sentByFirst = stack.sink.messages.filter((m) => addresses.includes(m.to[0])).length;
    expect(sentByFirst).toBeGreaterThanOrEqual(4);
    expect(sentByFirst).toBeLessThan(addresses.length); // some were left queued

    const next = await startApp({
      app: 'mailer',
      env: stack.env,
      readyText: '"mailer started"',
      opsReady: true,
    });
    stack.apps.push(next);
    for (const email of addresses) await stack.sink.waitFor((m) => m.to.includes(email), 30_000);
    for (const email of addresses) {
      expect([email, stack.sink.messages.filter((m) => m.to.includes(email)).length]).toEqual([
        email,
        1,
      ]);
    }
  }, 180_000);

  it('the api finishes the requests it took and exits 0 in time', async () => {
    const { app: api, client } = await stack.startApi();
    const answers: number[] = [];
    let stopped = false;
    const callers = Array.from({ length: 4 }, async () => {
      while (!stopped) {
        try {
          const r = await client.get('/api/account/info', {
            token: ann.accountToken,
            query: { account_id: bob.accountId },
          });
          answers.push(r.status_code);
        } catch {
          // The listener is closed: a balancer sends these elsewhere.
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    });
    await waitFor(() => answers.length >= 100, { what: '100 answers before SIGTERM' });
    const { code, ms } = await terminate(api);
    stopped = true;
    await Promise.all(callers);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    // Every request that got an answer got a whole, successful one.
    expect(answers.every((c) => c === 0)).toBe(true);
  }, 120_000);
});

/**
 * A server whose log reader stopped reading (a log shipper that hung, a parent that went
 * away while another process keeps the pipe open) must still stop on SIGTERM: standard
 * output fills after 64 KB, logging then holds or drops lines instead of blocking, and the
 * last flush at exit gives up after a bound (seen before: the stopped server waiting in
 * `Atomics.wait` for minutes with its port already released).
 */
describe('standalone shutdown with nobody reading its standard output', () => {
  it('exits 0 in time after SIGTERM while its log pipe is full', async () => {
    const stack = await startStandaloneStack(
      // Debug lines (socket, store and push batches) fill the pipe within a few hundred messages.
      { LOG_LEVEL: 'debug', GATEWAY_FRAMES_PER_SECOND: '0', LIMIT_API_LIMIT_EMAIL: '[]' },
      { gateways: 1, stdout: 'unread' },
    );
    try {
      const [ann, bob] = await Promise.all([
        openSession(stack, 'ann.quiet@example.com', 'ann'),
        openSession(stack, 'bob.quiet@example.com', 'bob'),
      ]);
      const relation = await ann.befriend(bob);
      const clients = await Promise.all(
        [ann, bob].map((s) => TestSocket.open(stack.gateways[0].wsUrl, s.accountToken)),
      );
      const load = new Load(clients, [relation], 'quiet');
      try {
        await load.waitForAcks(1500, '1500 acks with standard output unread');
      } finally {
        await load.stop();
      }
      const { code, ms } = await terminate(stack.apps[0]);
      expect(code).toBe(0);
      expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    } finally {
      await stack.stop();
    }
  }, 240_000);
});
