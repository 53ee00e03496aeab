import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import {
  startKafkaBroker,
  startPrivatePostgres,
  startPrivateRedis,
  waitFor,
  type KafkaBroker,
  type PrivatePostgres,
  type PrivateRedis,
  type RestartableService,
  type RunningApp,
} from '@chat/testing';
import { ok } from '../e2e/support/http';
import { openSession, type Session } from '../e2e/support/session';
import { startStack, type Stack } from '../e2e/support/stack';
import { TestSocket } from '../e2e/support/socket';

/** How long each service stays down, under traffic. */
const DOWN_MS = 6000;
/** How each service is stopped: killed, nothing flushed or handed over (`CHAT_FAULT_HALT=SIGTERM`: its own clean stop). */
const HALT_SIGNAL = process.env.CHAT_FAULT_HALT === 'SIGTERM' ? 'SIGTERM' : 'SIGKILL';
/** Traffic before each outage, and after recovery before the phase ends. */
const STEADY_MS = 2500;
/** New messages per second per sending socket (two sockets). */
const RATE = 20;
/** Sends a socket keeps waiting for a reply at once. */
const WINDOW = 4;
/** A send with no reply after this is given up for that attempt and sent again. */
const REPLY_TIMEOUT_MS = 30_000;
/** Bound on each app's `/readyz` turning 200 again, and on the backlog to drain, after a restart. */
const RECOVERY_BOUND_MS = 60_000;
/**
 * After Redis comes back empty, traffic goes on at least this long, past the time the
 * gateways take to announce their sockets again (the notifier holds routing meanwhile).
 */
const PRESENCE_BACK_MS = 5000;
/**
 * Bound on the pipeline catching up once a service answers again: every message acked by
 * then pushed. Consumers that lost the broker rejoin as new members, and the group waits
 * for the old members' sessions (10 s) to expire first.
 */
const DRAIN_BOUND_MS = 25_000;

type ServiceName = 'kafka' | 'redis' | 'postgres';
/** The `/readyz` check that names each service. */
const CHECK_OF: Record<ServiceName, string> = {
  kafka: 'kafka',
  redis: 'redis',
  postgres: 'database',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One message the test client sends, and what became of it. */
interface Outgoing {
  cmid: string;
  relation: number;
  content: string;
  attempts: number;
  ackedId?: number;
  ackedAt?: number;
}

/**
 * A well-behaved client (docs/protocol.md §3.2, docs/errors.md): every message carries its own
 * `client_msg_id`; a refused send (any non-zero code) or one left without a reply is sent
 * again with the same `client_msg_id`, after the reply's `retry_after_ms` or a short
 * pause, until it is acked. A socket the server closes is opened again.
 */
class Sender {
  readonly messages: Outgoing[] = [];
  /** Refusals per code, `no reply` for attempts that timed out or lost their socket. */
  readonly refusals = new Map<string, number>();
  readonly refusalTexts = new Map<string, string>();
  reconnects = 0;
  longestRefusalMs = 0;
  private stopped = false;
  private readonly loops: Promise<void>[];
  private readonly pending = new Set<Promise<void>>();
  private n = 0;

  constructor(
    private readonly sockets: TestSocket[],
    private readonly reopen: (i: number) => Promise<TestSocket>,
    private readonly relations: number[],
    private readonly tag: string,
  ) {
    this.loops = sockets.map((_, i) => this.loop(i));
  }

  get acked(): Outgoing[] {
    return this.messages.filter((m) => m.ackedId !== undefined);
  }

  private async loop(i: number): Promise<void> {
    const mine = new Set<Promise<void>>();
    while (!this.stopped) {
      if (mine.size >= WINDOW) {
        await Promise.race(mine);
        continue;
      }
      const n = this.n++;
      const msg: Outgoing = {
        cmid: `${this.tag}-${n}`,
        relation: this.relations[n % this.relations.length],
        content: `${this.tag} ${n}`,
        attempts: 0,
      };
      this.messages.push(msg);
      const p = this.deliver(i, msg);
      mine.add(p);
      this.pending.add(p);
      void p.finally(() => {
        mine.delete(p);
        this.pending.delete(p);
      });
      await sleep(1000 / RATE);
    }
  }

  private refuse(key: string, text?: string): void {
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
    if (text !== undefined && !this.refusalTexts.has(key)) this.refusalTexts.set(key, text);
  }

  /** Sends `msg` until it is acked. */
  private async deliver(i: number, msg: Outgoing): Promise<void> {
    for (;;) {
      let ws = this.sockets[i];
      if (!ws.isOpen) ws = await this.reconnect(i);
      msg.attempts++;
      const data = { relation_id: msg.relation, msg_content: msg.content, client_msg_id: msg.cmid };
      let retryAfterMs = 250;
      const sentAt = Date.now();
      try {
        const reply = await Promise.race([
          ws.request('send_msg', data, REPLY_TIMEOUT_MS),
          ws.closed.then(() => Promise.reject(new Error('socket closed'))),
        ]);
        if (reply.status_code === 0) {
          msg.ackedId = reply.data.msg_id as number;
          msg.ackedAt = Date.now();
          return;
        }
        this.refuse(String(reply.status_code), reply.status_msg);
        this.longestRefusalMs = Math.max(this.longestRefusalMs, Date.now() - sentAt);
        const hint = (reply.data as { retry_after_ms?: number } | undefined)?.retry_after_ms;
        if (typeof hint === 'number') retryAfterMs = hint;
      } catch (err) {
        this.refuse('no reply', (err as Error).message);
      }
      await sleep(retryAfterMs);
    }
  }

  private reconnecting = new Map<number, Promise<TestSocket>>();

  private reconnect(i: number): Promise<TestSocket> {
    let p = this.reconnecting.get(i);
    if (!p) {
      p = (async () => {
        for (;;) {
          try {
            const ws = await this.reopen(i);
            this.sockets[i] = ws;
            this.reconnects++;
            return ws;
          } catch {
            await sleep(500);
          }
        }
      })().finally(() => this.reconnecting.delete(i));
      this.reconnecting.set(i, p);
    }
    return p;
  }

  /** Stops starting new messages; resolves once every message started has been acked. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await waitFor(() => this.pending.size === 0, {
      timeoutMs,
      intervalMs: 100,
      what: `every send of ${this.tag} to be acked (${this.pending.size} left)`,
    });
  }
}

/** One answer of an app's `/readyz`. */
interface ReadySample {
  at: number;
  status: number;
  checks: Record<string, string>;
}

/** Asks every app's `/readyz` (ops port) a few times a second and keeps the answers. */
class ReadinessWatch {
  readonly samples = new Map<string, ReadySample[]>();
  private stopped = false;
  private readonly loops: Promise<void>[];

  constructor(apps: { label: string; app: RunningApp }[]) {
    this.loops = apps.map(async ({ label, app }) => {
      const samples: ReadySample[] = [];
      this.samples.set(label, samples);
      while (!this.stopped) {
        const at = Date.now();
        try {
          const res = await fetch(`${app.opsUrl!}/readyz`, { signal: AbortSignal.timeout(5000) });
          const body = (await res.json()) as { checks?: Record<string, string> };
          samples.push({ at, status: res.status, checks: body.checks ?? {} });
        } catch (err) {
          samples.push({ at, status: 0, checks: { probe: (err as Error).message } });
        }
        await sleep(200);
      }
    });
  }

  /** Answers asked for in [from, to). */
  between(label: string, from: number, to: number): ReadySample[] {
    return (this.samples.get(label) ?? []).filter((s) => s.at >= from && s.at < to);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

/** What one restart did, for the report and the assertions. */
interface PhaseReport {
  service: ServiceName;
  /** How long stopping the service took, how long it stayed down, how long it took to answer again. */
  haltMs: number;
  downMs: number;
  startMs: number;
  sent: number;
  acked: number;
  refusals: Record<string, number>;
  refusalTexts: Record<string, string>;
  /** Longest wait from a send to its refusal. */
  longestRefusalMs: number;
  reconnects: number;
  stored: number;
  storedTwice: number;
  ackedButStoredUnderAnotherId: number;
  /** Acked messages pushed to the receiver's open socket. */
  pushed: number;
  /** Acked messages the receiver got only from the sync endpoint (their push was lost). */
  foundBySyncOnly: number;
  duplicatePushes: number;
  /** From the service answering again to each dependent app's `/readyz` answering 200. */
  readyAfterMs: Record<string, number>;
  /** From the outage's start to each dependent app's `/readyz` answering 503. */
  notReadyAfterMs: Record<string, number>;
  /** From the service answering again to the first ack of a send made after it. */
  firstAckAfterMs: number;
  /** From the service answering again to every acked message being pushed (or giving up). */
  drainedAfterMs: number;
  /** Notifier batches that waited for presence to be rebuilt, and the longest wait. */
  heldBatches: number;
  longestHoldMs: number;
}

/**
 * Faults under traffic (issue 11): the Kafka broker, Redis and Postgres are each stopped for
 * a few seconds and started again (same port, same data; Redis comes back empty) while two
 * sockets keep sending. The suite runs the whole distributed stack on private instances of
 * the three services, so the shared ones other suites use are never touched.
 *
 * What it holds the apps to (docs/architecture.md, guarantees; docs/protocol.md §3.2, §5):
 * - a send is acked or refused with 1004 and `retry_after_ms`, never acked and lost; the
 *   client sends a refused message again with the same `client_msg_id`;
 * - every acked message is stored exactly once, under the id its ack carried;
 * - the receiver, whose socket stays open, gets every acked message: pushed at most once,
 *   and none missing from pushes: after Redis came back empty, the notifier holds routing
 *   until the gateways have announced their sockets again, so no push is lost to the empty
 *   presence (the sync endpoint is checked too, and finds nothing the pushes missed);
 * - no app is restarted: each recovers on its own;
 * - each app's `/readyz` (ops port) answers 503 naming the service's check for the whole
 *   outage of a service it uses, and 200 once the service is back, for good.
 *
 * The figures of each restart (acked, refused per code, stored, pushed, found by sync only,
 * duplicates, times to recover) are printed, and the apps' output is written to
 * `CHAT_FAULT_LOG_DIR` when it is set.
 */
describe('service restarts under traffic', () => {
  let kafka: KafkaBroker;
  let redis: PrivateRedis;
  let postgres: PrivatePostgres;
  let stack: Stack;
  let ann: Session;
  let bob: Session;
  let relations: number[];
  let watch: ReadinessWatch;
  let bobWs: TestSocket;
  let annSockets: TestSocket[] = [];
  const reports: PhaseReport[] = [];
  const exitedApps: string[] = [];
  const log = (m: string) => process.stderr.write(`[restarts] ${m}\n`);

  beforeAll(async () => {
    // Each kept as soon as it runs, so afterAll stops it even if another failed to start.
    await Promise.all([
      startKafkaBroker(log).then((k) => (kafka = k)),
      startPrivateRedis(log).then((r) => (redis = r)),
      startPrivatePostgres(log).then((p) => (postgres = p)),
    ]);
    stack = await startStack(
      'fault_restarts',
      {},
      {
        gateways: 2,
        workers: true,
        services: {
          KAFKA_BROKERS: kafka.brokers,
          REDIS_URL: redis.url,
          DATABASE_URL: postgres.url,
        },
      },
    );
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.restarts@example.com', 'ann'),
      openSession(stack, 'bob.restarts@example.com', 'bob'),
    ]);
    relations = [await ann.befriend(bob), await ann.createGroup('restarts', [bob])];
    let gw = 0;
    const labelled = stack.apps.map((app) => ({
      label: app.name === 'gateway' ? `gateway${++gw}` : app.name,
      app,
    }));
    watch = new ReadinessWatch(labelled);
    for (const { label, app } of labelled) {
      void app.exited.then((code) => exitedApps.push(`${label} exited (${code})`));
    }
  }, 240_000);

  afterAll(async () => {
    await watch?.stop();
    // CHAT_FAULT_LOG_DIR=<dir>: every app's output is written there, for a look after a run.
    const logDir = process.env.CHAT_FAULT_LOG_DIR;
    if (logDir && stack) {
      mkdirSync(logDir, { recursive: true });
      let gw = 0;
      for (const app of stack.apps) {
        const name = app.name === 'gateway' ? `gateway${++gw}` : app.name;
        writeFileSync(path.join(logDir, `${name}.log`), app.output());
      }
    }
    await Promise.all([...annSockets, bobWs].filter(Boolean).map((s) => s.close()));
    await stack?.stop().catch((err: unknown) => log(`stack stop: ${String(err)}`));
    await Promise.all([kafka?.stop(), redis?.stop(), postgres?.stop()]);
    if (reports.length) log(`report\n${JSON.stringify(reports, null, 2)}`);
  });

  /** Apps that use each service (docs/architecture.md), whose `/readyz` must report its outage. */
  const dependents = (service: ServiceName): string[] => {
    const uses: Record<ServiceName, string[]> = {
      kafka: ['api', 'gateway', 'persister', 'notifier'],
      redis: ['api', 'gateway', 'notifier', 'mailer'],
      postgres: ['api', 'gateway', 'persister', 'notifier'],
    };
    return [...watch.samples.keys()].filter((label) =>
      uses[service].includes(label.replace(/\d+$/, '')),
    );
  };

  const query = async <T extends object>(sql: string, params: unknown[]): Promise<T[]> => {
    // A connection of its own per question: the database may have restarted since the last.
    const client = new Client({ connectionString: stack.ctx.databaseUrl });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  /** Bob's newest sequence number per relation, as the sync endpoint tells it. */
  async function lastSeqs(): Promise<Map<number, number>> {
    const r = ok(
      await stack.api.post('/api/msg/sync', {
        token: bob.accountToken,
        body: {
          relations: relations.map((id) => ({
            relation_id: id,
            after_seq: Number.MAX_SAFE_INTEGER,
          })),
        },
      }),
    );
    return new Map(
      (r.list as { relation_id: number; last_seq: number }[]).map((l) => [
        l.relation_id,
        l.last_seq,
      ]),
    );
  }

  /**
   * What a client that missed pushes does (docs/architecture.md, sync without gaps): ask for
   * everything after the sequence numbers it had, page by page. Message ids by relation.
   */
  async function syncedSince(from: Map<number, number>): Promise<number[]> {
    const ids: number[] = [];
    const after = new Map(from);
    for (;;) {
      const r = ok(
        await stack.api.post('/api/msg/sync', {
          token: bob.accountToken,
          body: {
            relations: [...after].map(([id, seq]) => ({ relation_id: id, after_seq: seq })),
            limit: 500,
          },
        }),
      );
      let more = false;
      for (const l of r.list as {
        relation_id: number;
        has_more: boolean;
        messages: { id: number; seq: number }[];
      }[]) {
        ids.push(...l.messages.map((m) => m.id));
        if (l.messages.length) after.set(l.relation_id, l.messages[l.messages.length - 1].seq);
        more ||= l.has_more;
      }
      if (!more) return ids;
    }
  }

  async function restart(service: ServiceName): Promise<void> {
    const target: RestartableService = { kafka, redis, postgres }[service];
    const tag = `r-${service}`;
    const annUrl = stack.gateways[0].wsUrl;
    annSockets = await Promise.all([0, 1].map(() => TestSocket.open(annUrl, ann.accountToken)));
    bobWs ??= await TestSocket.open(stack.gateways[1].wsUrl, bob.accountToken);
    const bobAtStart = bobWs;
    const pushesBefore = bobWs.pushes.length;
    const seqsBefore = await lastSeqs();
    const sender = new Sender(
      annSockets,
      (i) => TestSocket.open(annUrl, ann.accountToken).then((ws) => (annSockets[i] = ws)),
      relations,
      tag,
    );

    await sleep(STEADY_MS);
    const downAt = Date.now();
    await target.halt({ signal: HALT_SIGNAL });
    const haltedAt = Date.now();
    log(`${service} halted in ${haltedAt - downAt} ms`);
    await sleep(DOWN_MS);
    const resumeAt = Date.now();
    await target.resume();
    const upAt = Date.now();
    log(`${service} answering again ${upAt - resumeAt} ms after its start`);

    const pushedIds = () =>
      bobWs.pushes
        .slice(pushesBefore)
        .filter((p) => p.event === 'send_msg' && p.data?.msg_info?.account_id === ann.accountId)
        .map((p) => p.data.msg_info.id as number);

    // Recovery: a message created after the service is back gets acked...
    const firstAck = await waitFor(
      () =>
        sender.messages.find(
          (m) => m.ackedAt !== undefined && m.ackedAt >= upAt && m.attempts === 1,
        )?.ackedAt,
      {
        timeoutMs: RECOVERY_BOUND_MS,
        intervalMs: 50,
        what: `a fresh send acked after ${service} is back`,
      },
    );
    // Traffic goes on for a while after recovery (after Redis: past the time presence takes
    // to come back, so that pushes are seen to resume).
    const trafficUntil = Math.max(
      firstAck + STEADY_MS,
      service === 'redis' ? upAt + PRESENCE_BACK_MS + STEADY_MS : 0,
    );
    await sleep(trafficUntil - Date.now());
    await sender.stop(RECOVERY_BOUND_MS);
    const acked = sender.acked;
    expect(acked.length).toBe(sender.messages.length);

    // ...every acked message is stored once (counted by content, not by client_msg_id,
    // whose uniqueness holds only within the dedup window), under the id of its ack...
    const storedRows = await waitFor(
      async () => {
        const rows = await query<{ id: string; client_msg_id: string; msg_content: string }>(
          'select id, client_msg_id, msg_content from message where relation_id = any($1) and msg_content like $2',
          [relations, `${tag} %`],
        );
        const contents = new Set(rows.map((r) => r.msg_content));
        return acked.every((m) => contents.has(m.content)) ? rows : undefined;
      },
      {
        timeoutMs: RECOVERY_BOUND_MS,
        intervalMs: 250,
        what: `every acked message of ${tag} stored`,
      },
    );
    const storedBy = new Map<string, number[]>();
    for (const r of storedRows) {
      storedBy.set(r.msg_content, [...(storedBy.get(r.msg_content) ?? []), Number(r.id)]);
    }
    const storedTwice = [...storedBy.values()].filter((ids) => ids.length > 1).length;
    const otherId = acked.filter((m) => storedBy.get(m.content)?.[0] !== m.ackedId);

    // ...and reaches the receiver, whose socket stays open: pushed once, or (a push lost
    // with presence when Redis came back empty) found by sync after the last seq it saw.
    const ackedIds = acked.map((m) => m.ackedId!);
    await waitFor(
      () => {
        const got = new Set(pushedIds());
        return ackedIds.every((id) => got.has(id)) || !bobAtStart.isOpen;
      },
      {
        timeoutMs: RECOVERY_BOUND_MS,
        intervalMs: 100,
        what: `every acked message of ${tag} pushed`,
      },
    ).catch(() => undefined);
    const drainedAt = Date.now();
    await sleep(500); // a late duplicate would arrive by now
    const pushed = pushedIds();
    const pushedSet = new Set(pushed);
    const counts = new Map<number, number>();
    for (const id of pushed) counts.set(id, (counts.get(id) ?? 0) + 1);
    const synced = new Set(await syncedSince(seqsBefore));
    const notPushed = acked.filter((m) => !pushedSet.has(m.ackedId!));

    // Readiness: every app that uses the service said so while it was down, and is ready now.
    const readyAfterMs: Record<string, number> = {};
    const notReadyAfterMs: Record<string, number> = {};
    const readyWhileDown: Record<string, number> = {};
    const notReadyAfterRecovery: Record<string, number> = {};
    const check = CHECK_OF[service];
    for (const label of dependents(service)) {
      const during = watch.between(label, haltedAt, resumeAt);
      const firstDown = during.find((s) => s.status === 503 && s.checks[check] !== 'ok');
      if (firstDown) notReadyAfterMs[label] = firstDown.at - downAt;
      readyWhileDown[label] = during.filter(
        (s) => s.status !== 503 || s.checks[check] === 'ok',
      ).length;
      const backAt = await waitFor(
        () => watch.between(label, upAt, Infinity).find((s) => s.status === 200)?.at,
        { timeoutMs: RECOVERY_BOUND_MS, intervalMs: 100, what: `${label} ready after ${service}` },
      );
      readyAfterMs[label] = backAt - upAt;
      notReadyAfterRecovery[label] = watch
        .between(label, backAt, Infinity)
        .filter((s) => s.status !== 200).length;
    }

    // How long the notifier held routing for presence (its log lines since the outage).
    const notifierApp = stack.apps.find((a) => a.name === 'notifier');
    const holds = (notifierApp?.output() ?? '')
      .split('\n')
      .filter((line) => line.includes('routing held while presence was rebuilt'))
      .map((line) => {
        try {
          return JSON.parse(line) as { heldMs: number; time?: string };
        } catch {
          return undefined;
        }
      })
      .filter((h): h is { heldMs: number; time?: string } => h !== undefined)
      .filter((h) => h.time === undefined || Date.parse(h.time) >= downAt);

    const report: PhaseReport = {
      service,
      haltMs: haltedAt - downAt,
      downMs: resumeAt - haltedAt,
      startMs: upAt - resumeAt,
      sent: sender.messages.length,
      acked: acked.length,
      refusals: Object.fromEntries(sender.refusals),
      refusalTexts: Object.fromEntries(sender.refusalTexts),
      longestRefusalMs: sender.longestRefusalMs,
      reconnects: sender.reconnects,
      stored: storedBy.size,
      storedTwice,
      ackedButStoredUnderAnotherId: otherId.length,
      pushed: acked.length - notPushed.length,
      foundBySyncOnly: notPushed.filter((m) => synced.has(m.ackedId!)).length,
      duplicatePushes: [...counts.values()].filter((c) => c > 1).length,
      readyAfterMs,
      notReadyAfterMs,
      firstAckAfterMs: firstAck - upAt,
      drainedAfterMs: drainedAt - upAt,
      heldBatches: holds.length,
      longestHoldMs: Math.max(0, ...holds.map((h) => h.heldMs)),
    };
    reports.push(report);
    log(JSON.stringify(report));
    await Promise.all(annSockets.map((s) => s.close()));

    // Stored exactly once, under the acked id.
    expect(storedTwice).toBe(0);
    expect(storedBy.size).toBe(acked.length);
    expect(otherId.map((m) => m.cmid)).toEqual([]);
    // Delivered: pushed at most once, and nothing missing from push and sync together...
    expect(bobAtStart.isOpen).toBe(true);
    expect(report.duplicatePushes).toBe(0);
    expect(notPushed.filter((m) => !synced.has(m.ackedId!)).map((m) => m.cmid)).toEqual([]);
    // ...nor from the pushes alone: none found only by sync, after Redis came back empty too.
    expect(notPushed.map((m) => m.cmid)).toEqual([]);
    expect(report.drainedAfterMs).toBeLessThan(DRAIN_BOUND_MS);
    if (service === 'redis') {
      // Messages were acked both before and after the gateways had announced their sockets again.
      expect(acked.filter((m) => m.ackedAt! > upAt + PRESENCE_BACK_MS).length).toBeGreaterThan(0);
      expect(
        acked.filter((m) => m.ackedAt! >= upAt && m.ackedAt! <= upAt + PRESENCE_BACK_MS).length,
      ).toBeGreaterThan(0);
    }
    // No app was restarted: each recovered on its own.
    expect(exitedApps).toEqual([]);
    // Refused sends were refused with the code that says "send it again" (docs/errors.md).
    expect(Object.keys(report.refusals).filter((code) => code !== '1004')).toEqual([]);
    for (const label of dependents(service)) {
      // Not ready for the whole outage, naming the service's check...
      expect({ label, notReady: notReadyAfterMs[label] !== undefined }).toEqual({
        label,
        notReady: true,
      });
      expect({ label, readyWhileDown: readyWhileDown[label] }).toEqual({
        label,
        readyWhileDown: 0,
      });
      // ...and ready once it is back, for good.
      expect(readyAfterMs[label]).toBeLessThan(RECOVERY_BOUND_MS);
      expect({ label, notReadyAfterRecovery: notReadyAfterRecovery[label] }).toEqual({
        label,
        notReadyAfterRecovery: 0,
      });
    }
    // After the phase every app, not only the dependents, is ready.
    for (const label of watch.samples.keys()) {
      const last = watch.samples.get(label)!.at(-1)!;
      expect({ label, status: last.status }).toEqual({ label, status: 200 });
    }
  }

  /** The api, the mailer and the outbox still work: a new person registers and befriends ann. */
  async function socialStillWorks(n: number): Promise<void> {
    const carol = await openSession(stack, `carol${n}.restarts@example.com`, `carol${n}`);
    const relation = await carol.befriend(ann);
    // The friendship's system message went through the outbox, Kafka and the persister.
    await waitFor(
      async () => {
        const r = ok(
          await stack.api.post('/api/msg/sync', {
            token: ann.accountToken,
            body: { relations: [{ relation_id: relation, after_seq: 0 }] },
          }),
        );
        return r.list[0].messages.length > 0;
      },
      { timeoutMs: 20_000, what: 'the new friendship’s system message in history' },
    );
  }

  it('survives a Kafka broker restart', async () => {
    await restart('kafka');
    await socialStillWorks(1);
  }, 240_000);

  it('survives a Redis restart that loses every key', async () => {
    await restart('redis');
    await socialStillWorks(2);
  }, 240_000);

  it('survives a Postgres restart', async () => {
    await restart('postgres');
    await socialStillWorks(3);
  }, 240_000);
});
