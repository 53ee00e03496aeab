import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, startApp, type RunningApp } from '@chat/testing';

const REPO = path.resolve(__dirname, '../../../..');
const WEB_DIST = path.join(REPO, 'apps/web/dist/index.html');

export interface WebServer {
  url: string;
  dataDir: string;
  app: RunningApp;
  stop(): Promise<void>;
}

/**
 * The standalone server as `npm start` runs it (embedded adapters, the dev mailbox), on a
 * fresh data folder and a free port, serving the app's build. `nx run web:test` builds the
 * app first; run directly, the suite builds it when no build is there.
 */
export async function startWebServer(): Promise<WebServer> {
  if (!existsSync(WEB_DIST)) {
    const build = spawnSync(
      path.join(REPO, 'node_modules/.bin/vite'),
      ['build', '--config', 'apps/web/vite.config.mts', '--logLevel', 'warn'],
      { cwd: REPO, encoding: 'utf8' },
    );
    if (build.status !== 0) throw new Error(`vite build failed\n${build.stdout}${build.stderr}`);
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'web-browser-'));
  const port = await freePort();
  const opsPort = await freePort();
  const app = await startApp({
    app: 'standalone',
    env: {
      // Nothing from the test environment: every port on its embedded adapter.
      DATABASE_URL: '',
      REDIS_URL: '',
      KAFKA_BROKERS: '',
      SMTP_URL: '',
      OSS_ENDPOINT: '',
      OSS_ACCESS_KEY_ID: '',
      OSS_ACCESS_KEY_SECRET: '',
      OSS_BUCKET: '',
      DATA_DIR: dataDir,
      PORT: String(port),
      SERVER_API_OPS_PORT: String(opsPort),
      LOG_LEVEL: 'warn',
      // Three browsers share 127.0.0.1: the per-address REST limit would pace the test.
      LIMIT_IP_LIMIT_BUCKET: '10000',
      LIMIT_IP_LIMIT_REFILL: '10000',
    },
    readyUrl: `http://127.0.0.1:${port}/healthz`,
    readyTimeoutMs: 120_000,
  });
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    app,
    async stop() {
      await app.stop('SIGINT');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
