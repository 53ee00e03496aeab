import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, startApp, type RunningApp } from '@chat/testing';
import { ApiClient } from './http';
import { DevMailboxInbox } from './mailbox';
import { TOKEN_KEY, type GatewayProcess, type StackOptions } from './stack';
import type { TargetStack } from './target';

/**
 * The standalone server as `npm start` runs it: one process, embedded adapters, a fresh
 * data folder. Every connection key is set empty so that nothing from the test environment
 * (`npm test` exports the services' addresses) reaches it.
 */
const EMBEDDED: Record<string, string> = {
  DATABASE_URL: '',
  REDIS_URL: '',
  KAFKA_BROKERS: '',
  SMTP_URL: '',
  OSS_ENDPOINT: '',
  OSS_ACCESS_KEY_ID: '',
  OSS_ACCESS_KEY_SECRET: '',
  OSS_BUCKET: '',
};

/** The same settings the distributed stack gives its apps, where they apply. */
const SETTINGS: Record<string, string> = {
  TOKEN_KEY,
  LOG_LEVEL: 'info',
  AUTO_RETRY_DURATION: '100ms',
  // Every test client comes from 127.0.0.1, and load tests send fast (see startStack).
  LIMIT_IP_LIMIT_BUCKET: '10000',
  LIMIT_IP_LIMIT_REFILL: '10000',
  GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: '0',
  GATEWAY_SEND_RATE: '[]',
};

async function startServer(
  env: Record<string, string>,
  stdout?: 'captured' | 'unread',
): Promise<{ app: RunningApp; client: ApiClient; dataDir: string; ownsDataDir: boolean }> {
  const ownsDataDir = !env.DATA_DIR;
  const dataDir = env.DATA_DIR || (await mkdtemp(path.join(os.tmpdir(), 'e2e-standalone-')));
  const port = await freePort();
  // Chosen here rather than read from the log: with `stdout: 'unread'` nothing reads it.
  const opsPort = await freePort();
  try {
    const app = await startApp({
      app: 'standalone',
      env: { ...env, DATA_DIR: dataDir, PORT: String(port), SERVER_API_OPS_PORT: String(opsPort) },
      readyUrl: `http://127.0.0.1:${port}/healthz`,
      opsReady: true,
      opsUrl: `http://127.0.0.1:${opsPort}`,
      readyTimeoutMs: 120_000,
      stdout,
    });
    return { app, client: new ApiClient(`http://127.0.0.1:${port}`), dataDir, ownsDataDir };
  } catch (err) {
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** `startStack`'s counterpart on the standalone target (see `TargetStack`). */
export async function startStandaloneStack(
  extraEnv: Record<string, string>,
  options: StackOptions,
): Promise<TargetStack> {
  const env = { ...EMBEDDED, ...SETTINGS, ...extraEnv };
  const main = await startServer(env, options.stdout);
  const apps: RunningApp[] = [main.app];
  const folders = main.ownsDataDir ? [main.dataDir] : [];
  const wsUrl = `${main.client.baseUrl.replace(/^http/, 'ws')}/ws`;
  // Node ids of the distributed gateways; here one server holds every socket.
  const gatewayAt = (machineId: number): GatewayProcess => ({ app: main.app, wsUrl, machineId });
  return {
    target: 'standalone',
    sink: new DevMailboxInbox(path.join(main.dataDir, 'mailbox')),
    env,
    api: main.client,
    apps,
    gateways: Array.from({ length: options.gateways ?? 0 }, (_, i) => gatewayAt(i + 1)),
    startGateway: async (machineId) => gatewayAt(machineId),
    startWorker: async () => main.app,
    async startApi(more = {}) {
      const other = await startServer({ ...env, ...more, DATA_DIR: '' });
      apps.push(other.app);
      folders.push(other.dataDir);
      return { app: other.app, client: other.client };
    },
    async stop() {
      const codes = await Promise.all(apps.map((a) => a.stop('SIGINT')));
      for (const dir of folders) await rm(dir, { recursive: true, force: true });
      // A server that did not stop cleanly is a failure of the suite, not noise.
      const unclean = codes.filter((code) => code !== 0);
      if (unclean.length > 0) {
        throw new Error(
          `standalone server exited with ${unclean.join(', ')}\n${main.app.output().slice(-3000)}`,
        );
      }
    },
  };
}
