import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { killWhenParentDies } from './services/run';
import { waitFor } from './wait-for';

const REPO = path.resolve(__dirname, '../../..');
const TSX = path.join(REPO, 'node_modules/.bin/tsx');

export interface RunningApp {
  name: string;
  pid: number;
  /** Everything the process wrote, stdout and stderr interleaved. */
  output(): string;
  /**
   * Base URL of the app's ops server (`/healthz`, `/readyz`, `/metrics`), with `opsReady`
   * or `opsUrl`. The public ports (api, gateway) serve none of these but `/healthz`.
   */
  opsUrl?: string;
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
  /** Ready when this URL answers HTTP 200 (a public port's `/healthz`, say)... */
  readyUrl?: string;
  /** ...and the output contains this text... */
  readyText?: string;
  /**
   * ...and the app's ops server answers `/readyz` with 200. Its port is read from the app's
   * `ops server listening` log line (so it may be started on port 0), unless `opsUrl` is given.
   */
  opsReady?: boolean;
  /** Base URL of the app's ops server, when its port was chosen in advance. */
  opsUrl?: string;
  readyTimeoutMs?: number;
  /**
   * `'unread'`: the app's standard output is a pipe held open by a process that never reads
   * it (a log reader that hung), so it fills after 64 KB; `output()` then has stderr only.
   */
  stdout?: 'captured' | 'unread';
}

/**
 * Starts an app as its own process, the way an operator runs it
 * (`node --import tsx apps/<app>/src/main.ts`), and waits until it is ready. End-to-end tests drive it over HTTP and WebSocket only.
 */
export async function startApp(opts: StartAppOptions): Promise<RunningApp> {
  // Node itself runs the app, with tsx as a loader: no wrapper process stands between a
  // signal and the app. (The tsx CLI relays a signal and then SIGKILLs its child when the
  // child does not confirm within 30 ms, which an app busy under load may not do.)
  const main = path.join(REPO, 'apps', opts.app, 'src/main.ts');
  // CHAT_CPU_PROF_DIR=<dir>: each app writes a V8 CPU profile to <dir>/<app>/ when it exits
  // (NODE_OPTIONS may not carry --cpu-prof), for profiling the roles under a benchmark.
  const profDir = process.env.CHAT_CPU_PROF_DIR;
  const profile = profDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profDir, opts.app)}`] : [];
  const sink =
    opts.stdout === 'unread'
      ? spawn('sleep', ['infinity'], { stdio: ['pipe', 'ignore', 'ignore'] })
      : undefined;
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', main], {
    cwd: REPO,
    env: { ...process.env, NODE_ENV: 'test', LOG_PRETTY: 'false', ...opts.env },
    stdio: ['ignore', sink ? sink.stdin! : 'pipe', 'pipe'],
    // Its own process group, so SIGKILL reaches anything the app started too.
    detached: true,
  });
  // Its own group outlives a killed test run unless something ends it.
  killWhenParentDies(child.pid!, { group: true });
  if (sink) killWhenParentDies(sink.pid!);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  if (sink) {
    sink.stdin!.destroy(); // only the app holds the write end now
    void exited.then(() => sink.kill('SIGKILL'));
  }
  let done = false;
  void exited.then(() => (done = true));
  let opsUrl = opts.opsUrl;

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) => {
    if (!done) {
      // The app gets the signal itself, as under an operator's process manager; SIGKILL goes
      // to the whole process group, so nothing the app started outlives it.
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
        if (opts.readyText && !out.includes(opts.readyText)) return false;
        if (opts.readyUrl && (await fetch(opts.readyUrl)).status !== 200) return false;
        if (opts.opsReady) {
          opsUrl ??= loggedOpsUrl(out);
          return opsUrl !== undefined && (await fetch(`${opsUrl}/readyz`)).status === 200;
        }
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
  return { name: opts.app, pid: child.pid!, output: () => out, opsUrl, exited, stop };
}

/** `http://127.0.0.1:<port>` of the app's `ops server listening` log line, once written. */
function loggedOpsUrl(output: string): string | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes('ops server listening')) continue;
    try {
      const { port } = JSON.parse(line) as { port?: unknown };
      if (typeof port === 'number') return `http://127.0.0.1:${port}`;
    } catch {
      // Not a JSON log line: keep looking.
    }
  }
  return undefined;
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
