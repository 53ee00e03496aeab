import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { BenchOptions, SystemName } from '../cli/args';
import type { TransportKind } from '../run/transport';
import { ChatApi } from '@chat/client';
import { MailboxCodeSource } from '../setup/code-source';
import { createPopulation, type Population } from '../setup/population';
import { syntheticPopulation } from '../setup/synthetic-population';
import { commandLineOf, kafkaBrokerPid, pidsNamed, type ProcessGroup } from './proc-stats';
import { freePort, startServer } from './server-process';

/** One system under test, started and populated, ready for load. */
export interface RunningSystem {
  name: SystemName;
  title: string;
  /** Where the load sockets connect, round-robin. */
  urls: string[];
  transport: TransportKind;
  /** Base URL of its REST api; the baselines have none (and so no reactions). */
  apiUrl?: string;
  population: Population;
  /** Every process whose CPU is measured during a run (the client's workers are added). */
  processes: ProcessGroup[];
  /** The processes holding the sockets: their memory per idle socket is measured. */
  socketPids(): number[];
  startSeconds: number;
  setupSeconds: number;
  /** Facts worth printing with the figures (the Kafka JVM's flags, say). */
  notes: string[];
  stop(): Promise<void>;
}

export interface SystemContext {
  opts: BenchOptions;
  progress: (line: string) => void;
}

export const TITLES: Record<SystemName, string> = {
  relay: 'bare uWebSockets.js relay (no storage)',
  socketio: 'Socket.IO + INSERT per message (pg Pool 10)',
  standalone: 'ours, npm start (standalone)',
  distributed: 'ours, distributed (gateways + Kafka + persister + notifier)',
};

const DEFAULT_DATABASE_URL = 'postgres://root@127.0.0.1:5432/test';

/** Environment of a child server: this one's, without the connection keys of the tests. */
function cleanEnv(more: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS', 'SMTP_URL', 'NODE_ENV']) {
    delete env[key];
  }
  return { ...env, ...more };
}

const seconds = (since: number) => (Date.now() - since) / 1000;
const postgresGroup: ProcessGroup = {
  name: 'postgres',
  server: true,
  pids: () => pidsNamed('postgres'),
};

export async function startSystem(name: SystemName, ctx: SystemContext): Promise<RunningSystem> {
  switch (name) {
    case 'relay':
      return startRelay(ctx);
    case 'socketio':
      return startSocketIo(ctx);
    case 'standalone':
      return startStandalone(ctx);
    case 'distributed':
      return startDistributed(ctx);
  }
}

function synthetic(opts: BenchOptions): Population {
  return syntheticPopulation({
    accounts: opts.accounts,
    topology: opts.topology,
    groupSize: opts.groupSize,
  });
}

async function startRelay({ opts }: SystemContext): Promise<RunningSystem> {
  const t0 = Date.now();
  const port = await freePort();
  const server = await startServer({
    name: 'uws-relay',
    file: 'apps/loadgen/src/baselines/uws-relay.ts',
    env: cleanEnv({ PORT: String(port) }),
    readyText: 'uws-relay listening',
  });
  return {
    name: 'relay',
    title: TITLES.relay,
    urls: [`ws://127.0.0.1:${port}/ws`],
    transport: 'ws',
    population: synthetic(opts),
    processes: [{ name: 'relay', server: true, pids: () => [server.pid] }],
    socketPids: () => [server.pid],
    startSeconds: seconds(t0),
    setupSeconds: 0,
    notes: [],
    stop: () => server.stop(),
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function startSocketIo({ opts }: SystemContext): Promise<RunningSystem> {
  const t0 = Date.now();
  const adminUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const database = `bench_socketio_${randomBytes(4).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${database}"`);
  const drop = () =>
    adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(
      () => undefined,
    );
  try {
    const port = await freePort();
    const server = await startServer({
      name: 'socketio-server',
      file: 'apps/loadgen/src/baselines/socketio-server.ts',
      env: cleanEnv({ PORT: String(port), DATABASE_URL: url.toString() }),
      readyText: 'socketio-server listening',
    });
    return {
      name: 'socketio',
      title: TITLES.socketio,
      urls: [`http://127.0.0.1:${port}`],
      transport: 'socketio',
      population: synthetic(opts),
      processes: [{ name: 'socketio', server: true, pids: () => [server.pid] }, postgresGroup],
      socketPids: () => [server.pid],
      startSeconds: seconds(t0),
      setupSeconds: 0,
      notes: [`database ${database} on ${url.host}`],
      stop: async () => {
        await server.stop();
        await drop();
      },
    };
  } catch (err) {
    await drop();
    throw err;
  }
}

/**
 * Limits meant for one person, lifted for a load run (as the distributed bench stack does):
 * frames per second per socket, requests per IP, code mails, messages per account, sockets
 * per account and per address.
 */
const LOAD_LIMITS = {
  GATEWAY_FRAMES_PER_SECOND: '0',
  LIMIT_IP_LIMIT_BUCKET: '100000',
  LIMIT_IP_LIMIT_REFILL: '100000',
  LIMIT_API_LIMIT_EMAIL: '[]',
  GATEWAY_SEND_RATE: '[]',
  GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: '0',
  GATEWAY_MAX_CONNECTIONS_PER_ACCOUNT: '0',
};

async function startStandalone({ opts, progress }: SystemContext): Promise<RunningSystem> {
  const t0 = Date.now();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chat-bench-standalone-'));
  const remove = () => rm(dataDir, { recursive: true, force: true });
  try {
    const port = await freePort();
    const opsPort = await freePort();
    // `npm start` with its embedded adapters: no connection key may reach it.
    const server = await startServer({
      name: 'standalone',
      file: 'apps/standalone/src/main.ts',
      env: cleanEnv({
        DATA_DIR: dataDir,
        TOKEN_KEY: randomBytes(24).toString('hex'),
        SERVER_API_PORT: String(port),
        SERVER_API_OPS_PORT: String(opsPort),
        LOG_LEVEL: 'info',
        LOG_PRETTY: 'false',
        ...LOAD_LIMITS,
      }),
      // Its ops server starts once every role serves.
      readyUrl: `http://127.0.0.1:${opsPort}/readyz`,
    });
    const startSeconds = seconds(t0);
    try {
      const t1 = Date.now();
      const codes = new MailboxCodeSource(path.join(dataDir, 'mailbox'));
      const population = await createPopulation(
        new ChatApi({ baseUrl: `http://127.0.0.1:${port}` }),
        codes,
        {
          accounts: opts.accounts,
          accountsPerUser: opts.accountsPerUser,
          topology: opts.topology,
          groupSize: opts.groupSize,
          tag: randomBytes(3).toString('hex'),
          progress: (line) => progress(`standalone: ${line}`),
        },
      );
      return {
        name: 'standalone',
        title: TITLES.standalone,
        urls: [`ws://127.0.0.1:${port}/ws`],
        transport: 'ws',
        apiUrl: `http://127.0.0.1:${port}`,
        population,
        processes: [{ name: 'standalone', server: true, pids: () => [server.pid] }],
        socketPids: () => [server.pid],
        startSeconds,
        setupSeconds: seconds(t1),
        notes: [`data in ${dataDir} (PGlite, in-process bus and cache)`],
        stop: async () => {
          await server.stop();
          await remove();
        },
      };
    } catch (err) {
      await server.stop();
      throw err;
    }
  } catch (err) {
    await remove();
    throw err;
  }
}

async function startDistributed({ opts, progress }: SystemContext): Promise<RunningSystem> {
  // The harness is loaded only here: the other systems need none of it.
  const { startBenchStack } = await import('../testing/bench-stack');
  const t0 = Date.now();
  const stack = await startBenchStack({
    name: 'loadgen_bench',
    gateways: opts.gatewayCount,
    progress: (line) => progress(`distributed: ${line}`),
  });
  try {
    const startSeconds = seconds(t0);
    const t1 = Date.now();
    const population = await createPopulation(new ChatApi({ baseUrl: stack.apiUrl }), stack.codes, {
      accounts: opts.accounts,
      accountsPerUser: opts.accountsPerUser,
      topology: opts.topology,
      groupSize: opts.groupSize,
      tag: randomBytes(3).toString('hex'),
      progress: (line) => progress(`distributed: ${line}`),
    });
    const brokers = process.env.KAFKA_BROKERS ?? '';
    const kafka = kafkaBrokerPid(brokers);
    const notes: string[] = [];
    if (kafka) {
      const flags = commandLineOf(kafka).filter((a) => /^-X|^-server$/.test(a));
      notes.push(`kafka ${brokers} (pid ${kafka}) JVM flags: ${flags.join(' ')}`);
    } else {
      notes.push(
        `kafka ${brokers}: broker process not found on this machine, its CPU is not counted`,
      );
    }
    const appGroups: ProcessGroup[] = [];
    let gateway = 0;
    for (const app of stack.apps) {
      const label = app.name === 'gateway' ? `gateway-${++gateway}` : app.name;
      appGroups.push({ name: label, server: true, pids: () => [app.pid] });
    }
    const gateways = stack.apps.filter((a) => a.name === 'gateway');
    return {
      name: 'distributed',
      title: TITLES.distributed,
      urls: stack.gatewayUrls,
      transport: 'ws',
      apiUrl: stack.apiUrl,
      population,
      processes: [
        ...appGroups,
        { name: 'kafka', server: true, pids: () => (kafka ? [kafka] : []) },
        postgresGroup,
        { name: 'redis', server: true, pids: () => pidsNamed('redis-server') },
      ],
      socketPids: () => gateways.map((g) => g.pid),
      startSeconds,
      setupSeconds: seconds(t1),
      notes,
      stop: () => stack.stop(),
    };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}
