import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../wait-for';
import type { HaltOptions, RestartableService } from './restartable';
import { freePort, sh } from './run';
import { postgresAnswers } from './postgres';

export interface PrivatePostgres extends RestartableService {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: the superuser, trust authentication. */
  url: string;
  port: number;
}

/** The folder of this machine's PostgreSQL server programs (initdb, pg_ctl). */
async function postgresBin(): Promise<string> {
  const onPath = (await sh('command -v pg_ctl || true')).trim();
  if (onPath) return path.dirname(onPath);
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin/pg_ctl')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  if (!versions.length) throw new Error('postgres: no pg_ctl on PATH or in /usr/lib/postgresql');
  return path.join(root, versions[versions.length - 1], 'bin');
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Starts a PostgreSQL cluster of its own (initdb into a temporary folder, one server on a
 * free loopback port, trust authentication, fsync off: data outlives a server restart, not
 * a machine crash). initdb refuses to run as root, so under root the cluster belongs to the
 * `postgres` OS user and its programs run through `runuser`. `halt()` stops the server
 * (SIGTERM: a fast shutdown; SIGKILL: an immediate one, crash recovery at the next start),
 * `resume()` starts it again on the same port and data. For fault tests that must not touch
 * the shared Postgres.
 */
export async function startPrivatePostgres(log: (msg: string) => void): Promise<PrivatePostgres> {
  const bin = await postgresBin();
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chat-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const [uid, gid] = (await sh('id -u postgres && id -g postgres'))
      .trim()
      .split('\n')
      .map(Number);
    chownSync(dir, uid, gid);
  }
  const as = (command: string) =>
    asRoot ? `runuser -u postgres -- bash -c ${q(command)}` : command;
  const pgCtl = path.join(bin, 'pg_ctl');
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = false;
  let removed = false;

  const launch = async () => {
    const options =
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ` +
      `-c full_page_writes=off -c max_connections=200`;
    await sh(
      as(`${q(pgCtl)} -D ${q(data)} -l ${q(logFile)} -o ${q(options)} -w -t 60 start`),
      90_000,
    );
    running = true;
    guardAgainstOrphan();
    await waitFor(() => postgresAnswers(url, 1000), {
      timeoutMs: 30_000,
      what: `postgres on port ${port}`,
    });
  };
  /** A killed test run must not leave the server behind: it is stopped once we are gone. */
  const guardAgainstOrphan = () => {
    const stopIt = as(`${q(pgCtl)} -D ${q(data)} -m immediate stop`);
    const script =
      `while kill -0 ${process.pid} 2>/dev/null && [ -f ${q(path.join(data, 'postmaster.pid'))} ]; ` +
      `do sleep 2; done; kill -0 ${process.pid} 2>/dev/null || ${stopIt} >/dev/null 2>&1`;
    spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
  };
  const halt = async ({ signal = 'SIGTERM' }: HaltOptions = {}) => {
    if (!running) return;
    running = false;
    const mode = signal === 'SIGKILL' ? 'immediate' : 'fast';
    await sh(as(`${q(pgCtl)} -D ${q(data)} -m ${mode} -w -t 60 stop`), 90_000);
  };

  try {
    await sh(
      as(
        `${q(path.join(bin, 'initdb'))} -D ${q(data)} -U postgres -A trust -E UTF8 ` +
          `--locale=C.UTF-8 --no-sync >> ${q(logFile)} 2>&1`,
      ),
      120_000,
    );
    await launch();
  } catch (err) {
    await halt({ signal: 'SIGKILL' }).catch(() => undefined);
    const logTail = tail(logFile);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `postgres: private server did not start: ${(err as Error).message}\n${logTail}`,
      {
        cause: err,
      },
    );
  }
  log(`postgres: private server on port ${port} (${dir})`);
  return {
    url,
    port,
    halt,
    async resume() {
      if (running) throw new Error('postgres: the server is running; halt it first');
      if (removed) throw new Error('postgres: the server was stopped for good');
      try {
        await launch();
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${tail(logFile)}`, { cause: err });
      }
    },
    async stop() {
      await halt({ signal: 'SIGKILL' });
      if (removed) return;
      removed = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
