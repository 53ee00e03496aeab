import { Client } from 'pg';
import { waitFor } from '../wait-for';
import { sh } from './run';

export const DEFAULT_DATABASE_URL = 'postgres://root@127.0.0.1:5432/test';

/** The start command of this machine kind's PostgreSQL cluster (see the README). */
const START_POSTGRES =
  'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -n 1) main start';

/** Whether a Postgres server at `url` accepts a connection and a query. */
export async function postgresAnswers(url: string, timeoutMs = 2000): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Makes sure PostgreSQL answers at `url`, starting the local cluster if it does not. */
export async function ensurePostgres(url: string, log: (msg: string) => void): Promise<void> {
  if (await postgresAnswers(url)) return;
  log(`postgres: not answering at ${redactUrl(url)}, starting the local cluster`);
  await sh(START_POSTGRES);
  await waitFor(() => postgresAnswers(url), { timeoutMs: 30_000, what: 'postgres to answer' });
  log('postgres: started');
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
