import {
  createSuiteContext,
  freePort,
  runScript,
  startApp,
  startSmtpSink,
  type RunningApp,
  type ServiceEnv,
  type SmtpSink,
  type SuiteContext,
} from '@chat/testing';
import { ApiClient } from './http';
import { EventLog } from './events';
import type { TargetStack } from './target';

/** The signing key of the started apps; tests know it the way an operator would. */
export const TOKEN_KEY = 'e2e-token-key-0123456789abcdefghijklmnop';

export interface StackOptions {
  /** WebSocket gateways to start (each its own process, node id gw<n>). */
  gateways?: number;
  /**
   * Start the persister and the notifier (the realtime pipeline). The persister process also
   * runs the search indexer (its own consumer group on `chat.stored`, docs/data-model.md §3).
   */
  workers?: boolean;
  /** With `workers`: how many persisters and notifiers to start (1 each unless given). */
  persisters?: number;
  notifiers?: number;
  /**
   * Private service instances (a fault test that stops and starts them); the shared ones
   * of the environment for what is not given.
   */
  services?: Partial<ServiceEnv>;
  /** Standalone target only: the server's standard output is never read (`startApp`). */
  stdout?: 'captured' | 'unread';
}

export interface GatewayProcess {
  app: RunningApp;
  /** `ws://127.0.0.1:<port>/ws` */
  wsUrl: string;
  machineId: number;
}

/** The distributed target (see `TargetStack`); the fault suites use it alone. */
export interface Stack extends TargetStack {
  target: 'distributed';
  ctx: SuiteContext;
  sink: SmtpSink;
  events: EventLog;
  env: Record<string, string>;
  api: ApiClient;
  apps: RunningApp[];
  gateways: GatewayProcess[];
  /** Starts a gateway process with the given machine id (1–31; the api uses 0). */
  startGateway(machineId: number): Promise<GatewayProcess>;
  /** Starts a persister (with its search indexer) or notifier process. */
  startWorker(name: 'persister' | 'notifier'): Promise<RunningApp>;
  /** Starts one more api process on the same services, with extra settings. */
  startApi(extraEnv?: Record<string, string>): Promise<{ app: RunningApp; client: ApiClient }>;
  stop(): Promise<void>;
}

/**
 * Starts the distributed apps as separate processes on the suite's own database, Redis
 * prefix, topic prefix and an SMTP sink, after running the migrations as an operator would.
 */
export async function startStack(
  name: string,
  extraEnv: Record<string, string> = {},
  options: StackOptions = {},
): Promise<Stack> {
  const ctx = await createSuiteContext(name, { services: options.services });
  const sink = await startSmtpSink();
  const apps: RunningApp[] = [];
  const env: Record<string, string> = {
    TOKEN_KEY,
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.redisUrl,
    REDIS_KEY_PREFIX: ctx.redisPrefix,
    KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: ctx.topicPrefix,
    KAFKA_PARTITIONS: '3',
    SMTP_URL: sink.url,
    LOG_LEVEL: 'info',
    AUTO_RETRY_DURATION: '100ms',
    // Every test client comes from 127.0.0.1: a per-IP limit sized for one person would
    // refuse the suite. The suites that test the limits start an api with their own.
    LIMIT_IP_LIMIT_BUCKET: '10000',
    LIMIT_IP_LIMIT_REFILL: '10000',
    // Likewise for sockets per address; and the load and fault suites send from one account
    // as fast as acks come back, far past one person's message rate. limits.e2e.spec.ts
    // tests both limits with its own settings; sockets per account stay at the default.
    GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: '0',
    GATEWAY_SEND_RATE: '[]',
    // Ops servers on free ports; each app logs the one it took (RunningApp.opsUrl).
    SERVER_API_OPS_PORT: '0',
    SERVER_GATEWAY_OPS_PORT: '0',
    SERVER_PERSISTER_OPS_PORT: '0',
    SERVER_NOTIFIER_OPS_PORT: '0',
    SERVER_MAILER_OPS_PORT: '0',
    ...extraEnv,
  };
  const events = await EventLog.start(ctx.kafkaBrokers, ctx.topicPrefix, ctx.groupPrefix);
  const stop = async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await events.stop();
    await sink.close();
    await ctx.cleanup();
  };
  try {
    await runScript('libs/db/src/cli/migrate.ts', env);
    const startApi = async (more: Record<string, string> = {}) => {
      const port = await freePort();
      const app = await startApp({
        app: 'api',
        env: { ...env, SERVER_API_PORT: String(port), ...more },
        readyUrl: `http://127.0.0.1:${port}/healthz`,
        opsReady: true,
      });
      apps.push(app);
      return { app, client: new ApiClient(`http://127.0.0.1:${port}`) };
    };
    const [{ client }, mailer] = await Promise.all([
      startApi(),
      startApp({ app: 'mailer', env, readyText: '"mailer started"', opsReady: true }),
    ]);
    apps.push(mailer);
    const startGateway = async (machineId: number): Promise<GatewayProcess> => {
      const port = await freePort();
      const app = await startApp({
        app: 'gateway',
        env: { ...env, APP_MACHINE_ID: String(machineId), SERVER_GATEWAY_PORT: String(port) },
        readyUrl: `http://127.0.0.1:${port}/healthz`,
        opsReady: true,
      });
      apps.push(app);
      return { app, wsUrl: `ws://127.0.0.1:${port}/ws`, machineId };
    };
    const startWorker = async (worker: 'persister' | 'notifier') => {
      const app = await startApp({
        app: worker,
        env,
        readyText: `"${worker} started"`,
        opsReady: true,
      });
      apps.push(app);
      return app;
    };
    const gateways: GatewayProcess[] = [];
    if (options.workers) {
      await Promise.all([
        ...Array.from({ length: options.persisters ?? 1 }, () => startWorker('persister')),
        ...Array.from({ length: options.notifiers ?? 1 }, () => startWorker('notifier')),
      ]);
    }
    for (let i = 1; i <= (options.gateways ?? 0); i++) gateways.push(await startGateway(i));
    return {
      target: 'distributed',
      ctx,
      sink,
      events,
      env,
      api: client,
      apps,
      gateways,
      startGateway,
      startWorker,
      startApi,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
