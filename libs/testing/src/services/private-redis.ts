import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../wait-for';
import type { HaltOptions, RestartableService } from './restartable';
import { freePort, isListening, killWhenParentDies } from './run';

export interface PrivateRedis extends RestartableService {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
}

/**
 * Starts a redis-server of its own on a free loopback port, keeping nothing on disk
 * (`--save '' --appendonly no`): a `resume()` after `halt()` brings it back on the same
 * port, empty, as a cache server restarted without persistence comes back. For fault tests
 * that must not touch the shared Redis.
 */
export async function startPrivateRedis(log: (msg: string) => void): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chat-redis-'));
  const logFile = path.join(dir, 'redis.log');
  let child: ChildProcess | undefined;
  let removed = false;

  const launch = async () => {
    const server = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--logfile',
        logFile,
      ],
      { stdio: 'ignore' },
    );
    child = server;
    killWhenParentDies(server.pid!);
    let exited = false;
    server.once('exit', () => (exited = true));
    await waitFor(
      async () => {
        if (exited) throw new Error(`redis-server exited\n${tailOf(logFile)}`);
        return isListening('127.0.0.1', port);
      },
      { timeoutMs: 15_000, intervalMs: 50, what: `redis-server on port ${port}` },
    );
  };
  const halt = async ({ signal = 'SIGTERM' }: HaltOptions = {}) => {
    const server = child;
    child = undefined;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    server.kill(signal);
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  log(`redis: private server on port ${port}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    halt,
    async resume() {
      if (child) throw new Error('redis: the server is running; halt it first');
      if (removed) throw new Error('redis: the server was stopped for good');
      await launch();
    },
    async stop() {
      await halt();
      if (removed) return;
      removed = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tailOf(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
