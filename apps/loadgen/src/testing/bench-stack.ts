import { randomBytes } from 'node:crypto';
import { createSuiteContext, freePort, runScript, startApp, type RunningApp } from '@chat/testing';
import { SmtpCodeSource } from '../setup/code-source';

/** The distributed apps started for a bench or an integration test, on their own resources. */
export interface BenchStack {
  apiUrl: string;
  /** `ws://127.0.0.1:<port>/ws`, one per gateway process. */
  gatewayUrls: string[];
  /** The SMTP sink the mailer sends to. */
  codes: SmtpCodeSource;
  apps: RunningApp[];
  /** Stops every app (SIGTERM), the sink, and drops the database, keys and topics; idempotent. */
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  /** Names the database, Redis prefix and topic prefix. */
  name: string;
  gateways: number;
  progress?: (line: string) => void;
}

/**
 * Starts api, mailer, persister, notifier and `gateways` gateways as separate processes
 * (`tsx apps/<app>/src/main.ts`, as an operator runs them) on Postgres, Redis and Kafka from
 * DATABASE_URL, REDIS_URL and KAFKA_BROKERS, with a fresh database, key prefix and topic
 * prefix, and an SMTP sink for the code mails. Limits meant for one person are lifted: the
 * per-connection frame rate (a load socket sends far more than 50 frames a second), the
 * per-IP request limit and the code-mail limit (every client here is 127.0.0.1), the
 * per-account message rate and the socket limits per account and per address.
 */
export async function startBenchStack(opts: BenchStackOptions): Promise<BenchStack> {
  const started = Date.now();
  const ctx = await createSuiteContext(opts.name);
  const codes = await SmtpCodeSource.start();
  const apps: RunningApp[] = [];
  const env: Record<string, string> = {
    TOKEN_KEY: randomBytes(24).toString('hex'),
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.redisUrl,
    REDIS_KEY_PREFIX: ctx.redisPrefix,
    KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: ctx.topicPrefix,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    SMTP_URL: codes.url,
    LOG_LEVEL: 'info',
    GATEWAY_FRAMES_PER_SECOND: '0',
    LIMIT_IP_LIMIT_BUCKET: '100000',
    LIMIT_IP_LIMIT_REFILL: '100000',
    LIMIT_API_LIMIT_EMAIL: '[]',
    GATEWAY_SEND_RATE: '[]',
    GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: '0',
    GATEWAY_MAX_CONNECTIONS_PER_ACCOUNT: '0',
    // Ops servers on free ports, so two stacks on one machine do not clash.
    SERVER_API_OPS_PORT: '0',
    SERVER_GATEWAY_OPS_PORT: '0',
    SERVER_PERSISTER_OPS_PORT: '0',
    SERVER_NOTIFIER_OPS_PORT: '0',
    SERVER_MAILER_OPS_PORT: '0',
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(apps.map((a) => a.stop()));
      await codes.close();
      await ctx.cleanup();
    })());
  const launch = async (app: string, more: Record<string, string>, ready: object) => {
    const running = await startApp({ app, env: { ...env, ...more }, ...ready });
    apps.push(running);
    return running;
  };
  try {
    await runScript('libs/db/src/cli/migrate.ts', env);
    const apiPort = await freePort();
    const gatewayPorts: number[] = [];
    for (let i = 0; i < opts.gateways; i++) gatewayPorts.push(await freePort());
    await Promise.all([
      launch(
        'api',
        { SERVER_API_PORT: String(apiPort) },
        { readyUrl: `http://127.0.0.1:${apiPort}/healthz`, opsReady: true },
      ),
      launch('mailer', {}, { readyText: '"mailer started"' }),
    ]);
    // One at a time from here: each creates the topics it uses, and consumers that start
    // together race on topics whose partitions have no leader yet.
    await launch('persister', {}, { readyText: '"persister started"' });
    await launch('notifier', {}, { readyText: '"notifier started"' });
    for (const [i, port] of gatewayPorts.entries()) {
      await launch(
        'gateway',
        { APP_MACHINE_ID: String(i + 1), SERVER_GATEWAY_PORT: String(port) },
        { readyUrl: `http://127.0.0.1:${port}/healthz`, opsReady: true },
      );
    }
    opts.progress?.(
      `stack up in ${((Date.now() - started) / 1000).toFixed(1)} s: api, mailer, persister, ` +
        `notifier, ${opts.gateways} gateway(s) (database ${ctx.databaseName})`,
    );
    return {
      apiUrl: `http://127.0.0.1:${apiPort}`,
      gatewayUrls: gatewayPorts.map((p) => `ws://127.0.0.1:${p}/ws`),
      codes,
      apps,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
