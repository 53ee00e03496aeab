import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseMail } from '@chat/mail/testing';
import { startApp, type RunningApp } from './apps';
import { freePort } from './services/run';
import { waitFor } from './wait-for';

/**
 * The standalone server (`npm start`) for one suite: a fresh data folder and two free ports,
 * chosen once, so that a server launched again finds its data where the last one left it.
 */
export interface StandaloneServer {
  dataDir: string;
  port: number;
  /** Its one ops server (`/readyz`, `/metrics`): a free port, which no other run holds. */
  opsPort: number;
  /** `http://127.0.0.1:<port>`, REST under `/api`. */
  baseUrl: string;
  /** `ws://127.0.0.1:<port>/ws`. */
  wsUrl: string;
  opsUrl: string;
  /**
   * Every connection key set empty, so that nothing from the test environment (`npm test`
   * exports the services' addresses) reaches it: each port stays embedded.
   */
  env: Record<string, string>;
  /** Starts the server on this folder and these ports; resolves once it is ready. */
  launch(): Promise<RunningApp>;
  /** The code of the newest mail to `email` in the dev mailbox under the data folder. */
  codeFromMailbox(email: string): Promise<string>;
  /** Removes the data folder (stop the server first). */
  remove(): Promise<void>;
}

/** A data folder named `<prefix>…` under the system's temporary folder, and free ports. */
export async function prepareStandalone(prefix: string): Promise<StandaloneServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const port = await freePort();
  const opsPort = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const opsUrl = `http://127.0.0.1:${opsPort}`;
  const env = {
    DATABASE_URL: '',
    REDIS_URL: '',
    KAFKA_BROKERS: '',
    SMTP_URL: '',
    TOKEN_KEY: '',
    DATA_DIR: dataDir,
    PORT: String(port),
    SERVER_API_OPS_PORT: String(opsPort),
    LOG_LEVEL: 'info',
    LIMIT_IP_LIMIT_BUCKET: '1000',
  };
  const mailbox = path.join(dataDir, 'mailbox');
  return {
    dataDir,
    port,
    opsPort,
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    opsUrl,
    env,
    launch: () =>
      startApp({
        app: 'standalone',
        env,
        readyUrl: `${baseUrl}/healthz`,
        opsReady: true,
        opsUrl,
        readyTimeoutMs: 90_000,
      }),
    codeFromMailbox: (email) =>
      waitFor(
        async () => {
          const files = (await readdir(mailbox).catch(() => [] as string[])).sort().reverse();
          for (const file of files) {
            const mail = parseMail(await readFile(path.join(mailbox, file), 'utf8'));
            if (mail.headers.get('to') === email) return /\b(\d{6})\b/.exec(mail.text)?.[1];
          }
          return undefined;
        },
        { timeoutMs: 15_000, what: `a mail to ${email} in ${mailbox}` },
      ),
    remove: () => rm(dataDir, { recursive: true, force: true }),
  };
}
