import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LoadWorker } from './worker';
import type { FromWorker, ToWorker } from './wire';

/** A worker, forked or in this process, spoken to by messages. */
export interface WorkerLink {
  post(message: ToWorker): void;
  /** Ends a forked worker at once (after a failure); nothing for an in-process one. */
  kill(): void;
}

export interface WorkerEvents {
  onMessage(message: FromWorker): void;
  /** A forked worker exited; `code` is its exit code or signal. */
  onExit(worker: number, code: number | string): void;
}

/**
 * The node flags that load TypeScript through tsx, the same way `tsx` itself starts a
 * script, so a worker runs from source whether the parent runs under tsx or Jest.
 */
function tsxExecArgv(): string[] {
  return [
    '--require',
    require.resolve('tsx/preflight'),
    '--import',
    pathToFileURL(require.resolve('tsx')).href,
  ];
}

/** Forks worker `index` as its own process (`forked`), or runs it here. */
export function openWorker(index: number, forked: boolean, events: WorkerEvents): WorkerLink {
  if (!forked) {
    // Messages go through the event loop both ways, as they would between processes.
    const worker = new LoadWorker((m) => setImmediate(() => events.onMessage(m)));
    return { post: (m) => void setImmediate(() => void worker.handle(m)), kill: () => undefined };
  }
  const child: ChildProcess = fork(path.join(__dirname, 'worker-main.ts'), [], {
    execArgv: tsxExecArgv(),
    // Structured clone: the sequence bitmaps travel as typed arrays, not JSON.
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (m) => events.onMessage(m as FromWorker));
  child.once('exit', (code, signal) => events.onExit(index, code ?? signal ?? 'unknown'));
  return {
    post: (m) => void child.send(m),
    kill: () => void child.kill('SIGKILL'),
  };
}
