import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';

const execFileAsync = promisify(execFile);

/** Runs a shell command and returns its stdout; rejects with stderr in the message. */
export async function sh(command: string, timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await execFileAsync('bash', ['-c', command], {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`command failed: ${command}\n${e.stderr || e.stdout || e.message}`, {
      cause: err,
    });
  }
}

/** True when something accepts TCP connections on host:port. */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
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

/**
 * A killed test run (Ctrl-C twice, a CI time-out, a killed Jest worker) must not leave what
 * it started behind: a detached shell polls this process and, once it is gone, kills `pid`
 * (with `group`, the whole process group that `pid` leads). Stray apps from killed runs were
 * found still running an hour later, taking CPU from every benchmark after them.
 */
export function killWhenParentDies(pid: number, opts: { group?: boolean } = {}): void {
  const target = opts.group ? `-${pid}` : String(pid);
  const script =
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 2; done; ` +
    `kill -9 -- ${target} 2>/dev/null`;
  spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}
