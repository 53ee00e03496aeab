import { Client } from 'pg';
import { waitFor } from '@chat/testing';
import { startStack, type Stack } from '../e2e/support/stack';
import { openSession, type Session } from '../e2e/support/session';
import { waitUntilStored } from '../e2e/support/load';
import { TestSocket } from '../e2e/support/socket';

const TOTAL = 10_000;
const SOCKETS = 8;
const WINDOW = 32;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * docs/architecture.md, guarantees: an ack means the message will not be lost. 10,000 messages
 * go through while the persister is killed with SIGKILL and restarted mid-stream; every
 * acked message must end up in Postgres exactly once, numbered without gaps.
 */
describe('persister killed mid-stream', () => {
  let stack: Stack;
  let ann: Session;
  let bob: Session;
  let relations: number[];

  beforeAll(async () => {
    stack = await startStack(
      'fault_persister',
      // The persister is down for a while under load on purpose: every send must still be
      // acked (Kafka holds it), not pushed back (overload.fault.spec.ts).
      { GATEWAY_FRAMES_PER_SECOND: '0', GATEWAY_MAX_PIPELINE_BACKLOG: '0' },
      { gateways: 2, workers: true },
    );
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.fault@example.com', 'ann'),
      openSession(stack, 'bob.fault@example.com', 'bob'),
    ]);
    relations = [await ann.befriend(bob), await ann.createGroup('fault', [bob])];
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('stores every acked message exactly once after a SIGKILL and restart', async () => {
    const clients = await Promise.all(
      Array.from({ length: SOCKETS }, (_, i) =>
        TestSocket.open(stack.gateways[i % 2].wsUrl, (i % 2 ? bob : ann).accountToken),
      ),
    );
    const acked = new Map<number, number>(); // msg id → relation
    const ackLatency: number[] = [];
    let sent = 0;
    let killed = false;
    const started = Date.now();

    const persister = stack.apps.find((a) => a.name === 'persister')!;
    const killer = (async () => {
      await waitFor(() => acked.size >= TOTAL * 0.3, { timeoutMs: 120_000, what: '30% acked' });
      await persister.stop('SIGKILL');
      killed = true;
      await new Promise((r) => setTimeout(r, 1500));
      await stack.startWorker('persister');
    })();

    await Promise.all(
      clients.map(async (ws, i) => {
        const inFlight = new Set<Promise<void>>();
        while (sent < TOTAL) {
          const n = sent++;
          const relation = relations[n % relations.length];
          const t0 = Date.now();
          const p = ws
            .request(
              'send_msg',
              { relation_id: relation, msg_content: `m${n}`, client_msg_id: `c${i}-${n}` },
              30_000,
            )
            .then((reply) => {
              if (reply.status_code === 0) {
                acked.set(reply.data.msg_id, relation);
                ackLatency.push(Date.now() - t0);
              }
            });
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
          if (inFlight.size >= WINDOW) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
      }),
    );
    const elapsedMs = Date.now() - started;
    await killer;
    expect(killed).toBe(true);
    expect(acked.size).toBe(TOTAL);

    const db = new Client({ connectionString: stack.ctx.databaseUrl });
    await db.connect();
    try {
      const ids = [...acked.keys()];
      await waitUntilStored(db, ids, 120_000);
      const { rows: perRelation } = await db.query<{
        relation_id: string;
        n: string;
        min: string;
        max: string;
        distinct_seq: string;
      }>(
        `select relation_id, count(*) as n, min(seq) as min, max(seq) as max, count(distinct seq) as distinct_seq
           from message where relation_id = any($1::bigint[]) and notify_type = 'common' group by relation_id`,
        [relations],
      );
      const total = perRelation.reduce((s, r) => s + Number(r.n), 0);
      expect(total).toBe(TOTAL); // nothing stored twice, nothing extra
      const { rows: gaps } = await db.query<{ relation_id: string; n: string; max: string }>(
        'select relation_id, count(*) as n, max(seq) as max from message where relation_id = any($1::bigint[]) group by relation_id',
        [relations],
      );
      for (const g of gaps) expect(Number(g.max)).toBe(Number(g.n)); // seq 1..n, no gap
    } finally {
      await db.end();
      await Promise.all(clients.map((c) => c.close()));
    }
    const sorted = [...ackLatency].sort((a, b) => a - b);
    process.stdout.write(
      `\n[fault] ${TOTAL} messages in ${(elapsedMs / 1000).toFixed(1)} s = ${Math.round((TOTAL / elapsedMs) * 1000)} msg/s ` +
        `through a persister SIGKILL; send→ack p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms\n`,
    );
  }, 300_000);
});
