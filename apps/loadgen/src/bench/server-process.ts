import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** The repository root: servers run from here so tsx finds tsconfig.json and its paths. */
export const REPO = path.resolve(__dirname, '../../../..');

export interface ServerProcess {
  pid: number;
  /** The last 64 KiB the process wrote, stdout and stderr interleaved. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServerOptions {
  name: string;
  /** TypeScript entry, relative to the repo root; run as `node --import tsx <file>`. */
  file: string;
  /** The whole environment of the process (nothing is inherited that is not here). */
  env: NodeJS.ProcessEnv;
  /** Ready once the output holds this text… */
  readyText?: string;
  /** …or once this URL answers 200. */
  readyUrl?: string;
  timeoutMs?: number;
}

const KEEP = 64 * 1024;

/**
 * Starts a server of the bench as its own process, node running the TypeScript through the
 * tsx loader (no wrapper process, so `pid` is the server itself for /proc figures), and
 * waits until it is ready.
 */
export async function startServer(opts: ServerOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, opts.file)], {
    cwd: REPO,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 2 * KEEP) out = out.slice(-KEEP);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async (graceMs = 15_000) => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    if (exited) throw new Error(`${opts.name} exited while starting:\n${out.slice(-4000)}`);
    if (opts.readyText && out.includes(opts.readyText)) break;
    if (opts.readyUrl) {
      const ok = await fetch(opts.readyUrl).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
    }
    if (Date.now() > deadline) {
      await stop(1000);
      throw new Error(`${opts.name} was not ready in time:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, output: () => out.slice(-KEEP), stop };
}

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
