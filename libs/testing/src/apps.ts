import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './wait-for';

const REPO = path.resolve(__dirname, '../../..');
const TSX = path.join(REPO, 'node_modules/.bin/tsx');

export interface RunningApp {
  name: string;
  pid: number;
  /** Everything the process wrote, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process ended. */
  exited: Promise<number | string>;
  /** Sends `signal` (default SIGTERM) and waits for the exit, SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

export interface StartAppOptions {
  /** App folder under apps/ (its src/main.ts is started). */
  app: string;
  /** Environment on top of this process's (config keys by their env names). */
  env?: Record<string, string>;
  /** Ready when this URL answers HTTP 200. */
  readyUrl?: string;
  /** Or when the output contains this text. */
  readyText?: string;
  readyTimeoutMs?: number;
}

/**
 * Starts an app as its own process, the way an operator runs it (`tsx apps/<app>/src/main.ts`),
 * and waits until it is ready. End-to-end tests drive it over HTTP and WebSocket only.
 */
export async function startApp(opts: StartAppOptions): Promise<RunningApp> {
  const child: ChildProcess = spawn(TSX, [path.join(REPO, 'apps', opts.app, 'src/main.ts')], {
    cwd: REPO,
    env: { ...process.env, NODE_ENV: 'test', LOG_PRETTY: 'false', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a signal reaches the app and not only the tsx wrapper.
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  let done = false;
  void exited.then(() => (done = true));

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) => {
    if (!done) {
      // tsx relays SIGTERM and SIGINT to the app it runs, so those go to tsx alone (the app
      // gets one signal, as under an operator's process manager). SIGKILL cannot be relayed:
      // it goes to the whole process group, so no app outlives its wrapper.
      const kill = (sig: NodeJS.Signals) => {
        try {
          if (sig === 'SIGKILL') process.kill(-child.pid!, sig);
          else child.kill(sig);
        } catch {
          child.kill(sig);
        }
      };
      kill(signal);
      const timer = setTimeout(() => kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };

  try {
    await waitFor(
      async () => {
        if (done) throw new Error(`${opts.app} exited early`);
        if (opts.readyText) return out.includes(opts.readyText);
        if (opts.readyUrl) return (await fetch(opts.readyUrl)).status === 200;
        return true;
      },
      {
        timeoutMs: opts.readyTimeoutMs ?? 60_000,
        intervalMs: 100,
        what: `${opts.app} to be ready`,
      },
    );
  } catch (err) {
    await stop('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- ${opts.app} output ---\n${out.slice(-4000)}`, {
      cause: err,
    });
  }
  return { name: opts.app, pid: child.pid!, output: () => out, exited, stop };
}

/** Runs a script of the repo to completion (`tsx <file>`), rejecting with its output on failure. */
export async function runScript(file: string, env: Record<string, string> = {}): Promise<string> {
  const child = spawn(TSX, [path.join(REPO, file)], {
    cwd: REPO,
    env: { ...process.env, LOG_PRETTY: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${file} exited with ${code}\n${out.slice(-4000)}`);
  return out;
}
