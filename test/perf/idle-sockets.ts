/**
 * Gateway memory per idle authenticated socket (issue 10: at most 4 KB each).
 *
 * Starts the real gateway as its own process (as the e2e stack does) on a database of its
 * own with one account per socket, then opens sockets in steps from forked client
 * processes; each socket authenticates with an `auth` frame and then stays idle. After
 * each step it lets the gateway settle, makes it collect garbage (a preloaded probe,
 * memory-probe.cjs, answers SIGUSR2) and reads VmRSS from /proc/<pid>/status. It prints
 * each step, then KB per socket at the margin (least-squares slope over the steps with
 * sockets, and the last step's) and on average (RSS growth over the empty gateway / N).
 *
 *   npx tsx test/perf/idle-sockets.ts [--sockets 5000] [--step 1000] [--clients 2]
 *       [--settle-ms 3000] [--no-gc] [--snapshot <file.heapsnapshot>]
 *
 * Needs Postgres, Redis and Kafka (`DATABASE_URL`, `REDIS_URL`, `KAFKA_BROKERS`) and an
 * open-files limit above the socket count (the gateway inherits this process's).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TokenService } from '@chat/auth';
import { createSuiteContext, freePort, runScript, startApp, waitFor } from '@chat/testing';
import { Client } from 'pg';
import WebSocket from 'ws';

const TOKEN_KEY = 'idle-sockets-token-key-0123456789abcdef';
const PROBE = path.join(__dirname, 'memory-probe.cjs');
/** Sockets a client process has connecting at once. */
const CONNECT_CONCURRENCY = 50;

interface Options {
  sockets: number;
  step: number;
  clients: number;
  settleMs: number;
  /** Skip the forced collections: each step's RSS is then what the app left alone holds. */
  noGc: boolean;
  snapshot?: string;
}

function options(argv: string[]): Options {
  const opts: Options = { sockets: 5000, step: 1000, clients: 2, settleMs: 3000, noGc: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--no-gc') {
      opts.noGc = true;
      i -= 1;
      continue;
    }
    if (value === undefined) throw new Error(`${flag}: missing value`);
    if (flag === '--sockets') opts.sockets = Number(value);
    else if (flag === '--step') opts.step = Number(value);
    else if (flag === '--clients') opts.clients = Number(value);
    else if (flag === '--settle-ms') opts.settleMs = Number(value);
    else if (flag === '--snapshot') opts.snapshot = path.resolve(value);
    else throw new Error(`unknown option ${flag}`);
  }
  return opts;
}

// ---------------------------------------------------------------------------------------
// Client process: opens the sockets it is given and keeps them open, idle.

interface OpenRequest {
  url: string;
  tokens: string[];
}

interface OpenResult {
  opened: number;
  failed: string[];
  /** Sockets of earlier steps that closed since (should stay 0). */
  closed: number;
}

function runClient(): void {
  const held: WebSocket[] = [];
  let closed = 0;
  const openOne = (url: string, token: string) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const fail = (why: string) => {
        ws.terminate();
        reject(new Error(why));
      };
      ws.once('error', (err) => fail(err.message));
      ws.once('open', () => ws.send(JSON.stringify({ id: 1, event: 'auth', data: { token } })));
      ws.once('message', (data: Buffer) => {
        const reply = JSON.parse(data.toString()) as { id?: number; status_code?: number };
        if (reply.id !== 1 || reply.status_code !== 0) {
          fail(`auth answered ${data.toString().slice(0, 200)}`);
          return;
        }
        ws.removeAllListeners('error');
        ws.on('error', () => undefined);
        ws.once('close', () => (closed += 1));
        held.push(ws);
        resolve();
      });
    });
  process.on('message', async (req: OpenRequest) => {
    const failed: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < req.tokens.length) {
        const token = req.tokens[next++];
        await openOne(req.url, token).catch((err: Error) => failed.push(err.message));
      }
    };
    await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, lane));
    const result: OpenResult = { opened: req.tokens.length - failed.length, failed, closed };
    process.send!(result);
  });
}

// ---------------------------------------------------------------------------------------
// Measuring process.

interface Probe {
  seq: number;
  memory: NodeJS.MemoryUsage;
  heapUsed: number;
  malloced: number;
}

interface Row {
  sockets: number;
  /** VmRSS after settling, before the forced collection: what the process holds in use. */
  settledKb: number;
  /** VmRSS after the forced collection. */
  rssKb: number;
  heapUsedKb: number;
  externalKb: number;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function vmRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

/** Asks the probe in `pid` to collect garbage (and write a snapshot) and waits for it. */
async function probe(pid: number, file: string, seq: number, snapshot?: string): Promise<Probe> {
  writeFileSync(`${file}.cmd`, JSON.stringify({ seq, snapshot }));
  process.kill(pid, 'SIGUSR2');
  let answer: Probe | undefined;
  await waitFor(
    async () => {
      if (!existsSync(file)) return false;
      try {
        answer = JSON.parse(readFileSync(file, 'utf8')) as Probe;
      } catch {
        return false; // Being written.
      }
      return answer.seq === seq;
    },
    { timeoutMs: 120_000, intervalMs: 100, what: 'the memory probe' },
  );
  return answer!;
}

async function metric(opsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

async function measure(opts: Options): Promise<void> {
  const ctx = await createSuiteContext('idle_sockets');
  const clients: ChildProcess[] = [];
  let gateway: Awaited<ReturnType<typeof startApp>> | undefined;
  const probeFile = path.join(os.tmpdir(), `idle-sockets-${ctx.id}.json`);
  try {
    const env: Record<string, string> = {
      TOKEN_KEY,
      DATABASE_URL: ctx.databaseUrl,
      REDIS_URL: ctx.redisUrl,
      REDIS_KEY_PREFIX: ctx.redisPrefix,
      KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: ctx.topicPrefix,
      KAFKA_PARTITIONS: '3',
      LOG_LEVEL: 'info',
      // Every socket comes from 127.0.0.1; the per-account count stays on, as in production.
      GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: '0',
    };
    await runScript('libs/db/src/cli/migrate.ts', env);

    // One account per socket, as in production: every socket is its own presence entry.
    const pg = new Client({ connectionString: ctx.databaseUrl });
    await pg.connect();
    const accountIds: number[] = [];
    try {
      const user = await pg.query<{ id: string }>(
        `insert into "user" (email, password) values ('idle@example.com', 'x') returning id`,
      );
      const rows = await pg.query<{ id: string }>(
        `insert into account (user_id, name, avatar, signature)
         select $1, 'idle-' || g, '', '' from generate_series(1, $2::int) g returning id`,
        [user.rows[0].id, opts.sockets],
      );
      for (const row of rows.rows) accountIds.push(Number(row.id));
    } finally {
      await pg.end();
    }
    const tokens = new TokenService({
      key: TOKEN_KEY,
      userTokenTtlMs: 3_600_000,
      accountTokenTtlMs: 3_600_000,
      headerName: 'Authorization',
      scheme: 'bearer',
    });
    const accountTokens = accountIds.map((id) => tokens.issue('account', id, 0).token);

    const port = await freePort();
    gateway = await startApp({
      app: 'gateway',
      env: {
        ...env,
        APP_MACHINE_ID: '1',
        SERVER_GATEWAY_PORT: String(port),
        SERVER_GATEWAY_OPS_PORT: '0',
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc --require ${PROBE}`.trim(),
        CHAT_MEMORY_PROBE: probeFile,
      },
      readyUrl: `http://127.0.0.1:${port}/healthz`,
      opsReady: true,
    });
    const url = `ws://127.0.0.1:${port}/ws`;
    // The figures are on the gateway's ops port, not on its public one.
    const opsUrl = gateway.opsUrl!;
    for (let i = 0; i < opts.clients; i++) {
      clients.push(fork(process.argv[1], ['--client'], { stdio: 'inherit' }));
    }

    const rows: Row[] = [];
    let seq = 0;
    const sample = async (sockets: number, snapshot?: string) => {
      await sleep(opts.settleMs);
      const settledKb = vmRssKb(gateway!.pid);
      const row: Row = {
        sockets,
        settledKb,
        rssKb: settledKb,
        heapUsedKb: Math.round((await metric(opsUrl, 'nodejs_heap_size_used_bytes')) / 1024),
        externalKb: Math.round((await metric(opsUrl, 'nodejs_external_memory_bytes')) / 1024),
      };
      if (!opts.noGc) {
        const p = await probe(gateway!.pid, probeFile, ++seq, snapshot);
        await sleep(500);
        row.rssKb = vmRssKb(gateway!.pid);
        row.heapUsedKb = Math.round(p.heapUsed / 1024);
        row.externalKb = Math.round(p.memory.external / 1024);
      }
      rows.push(row);
      const prev = rows.at(-2);
      const margin = (pick: (r: Row) => number) =>
        prev ? ((pick(row) - pick(prev)) / (row.sockets - prev.sockets)).toFixed(2) : '';
      const mb = (kb: number, width: number) => (kb / 1024).toFixed(1).padStart(width);
      say(
        `${String(sockets).padStart(6)} sockets  settled rss ${mb(row.settledKb, 6)} MB` +
          `  after gc: rss ${mb(row.rssKb, 6)} MB` +
          `  heap ${mb(row.heapUsedKb, 5)} MB` +
          `  external ${mb(row.externalKb, 4)} MB` +
          (prev
            ? `  margin KB/socket: settled ${margin((r) => r.settledKb)}, ` +
              `after gc ${margin((r) => r.rssKb)}, heap ${margin((r) => r.heapUsedKb)}`
            : ''),
      );
    };

    await sample(0);
    let open = 0;
    while (open < opts.sockets) {
      const target = Math.min(opts.sockets, open + opts.step);
      const batch = accountTokens.slice(open, target);
      const results = await Promise.all(
        clients.map(
          (child, i) =>
            new Promise<OpenResult>((resolve) => {
              child.once('message', (r: OpenResult) => resolve(r));
              const share = batch.filter((_, j) => j % clients.length === i);
              child.send({ url, tokens: share } satisfies OpenRequest);
            }),
        ),
      );
      const failed = results.flatMap((r) => r.failed);
      const closed = results.reduce((s, r) => s + r.closed, 0);
      if (failed.length > 0 || closed > 0) {
        throw new Error(`${failed.length} sockets failed (${failed[0]}), ${closed} closed`);
      }
      open = target;
      await waitFor(
        async () => (await metric(opsUrl, 'chat_gateway_authenticated_sockets')) === open,
        { timeoutMs: 30_000, what: `${open} authenticated sockets` },
      );
      await sample(open, open === opts.sockets ? opts.snapshot : undefined);
    }

    const base = rows[0];
    const last = rows[rows.length - 1];
    const withSockets = rows.filter((r) => r.sockets > 0);
    const fit = (pick: (r: Row) => number) =>
      withSockets.length > 1 ? slope(withSockets.map((r) => [r.sockets, pick(r)])) : NaN;
    const average = (pick: (r: Row) => number) =>
      ((pick(last) - pick(base)) / last.sockets).toFixed(2);
    say(
      `\nmargin  (slope ${withSockets[0].sockets}→${last.sockets}), KB/socket: ` +
        `settled rss ${fit((r) => r.settledKb).toFixed(2)}, ` +
        `rss after gc ${fit((r) => r.rssKb).toFixed(2)}, ` +
        `heap after gc ${fit((r) => r.heapUsedKb).toFixed(2)}`,
    );
    say(
      `average (0→${last.sockets}), KB/socket: settled rss ${average((r) => r.settledKb)}, ` +
        `rss after gc ${average((r) => r.rssKb)}, heap after gc ${average((r) => r.heapUsedKb)}; ` +
        `whole process ${(last.settledKb / last.sockets).toFixed(2)} settled`,
    );
    if (opts.snapshot) say(`heap snapshot at ${last.sockets} sockets: ${opts.snapshot}`);
  } finally {
    for (const child of clients) child.kill();
    await gateway?.stop();
    rmSync(probeFile, { force: true });
    rmSync(`${probeFile}.cmd`, { force: true });
    await ctx.cleanup();
  }
}

if (process.argv[2] === '--client') {
  runClient();
} else {
  measure(options(process.argv.slice(2))).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
