import path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface SteadySample {
  /** Wall-clock time of the send (ms since the epoch). */
  at: number;
  code: number | null;
  ackMs: number | null;
  deliveryMs: number | null;
}

export interface SteadyClient {
  /** Stops sending, waits for what is due, and returns every send's figures. */
  stop(): Promise<{ samples: SteadySample[]; events: string[] }>;
}

/**
 * Starts the well-behaved pair of `steady-worker.ts` in a worker thread: two accounts of
 * one friendship exchanging a message every `intervalMs`. The thread is plain Node, outside
 * Jest's transform: it compiles the worker with tsx, which reads the `@chat/*` paths from
 * the suites' tsconfig.
 */
export async function startSteadyClient(opts: {
  url: string;
  tokens: [string, string];
  relation: number;
  intervalMs: number;
  tag: string;
}): Promise<SteadyClient> {
  const file = path.join(__dirname, 'steady-worker.ts');
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, {
    eval: true,
    workerData: opts,
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(__dirname, '..', '..', 'tsconfig.json') },
  });
  const messages: { type: string; [k: string]: unknown }[] = [];
  let notify: (() => void) | undefined;
  worker.on('message', (m) => {
    messages.push(m);
    notify?.();
  });
  worker.on('error', (err) => {
    messages.push({ type: 'failed', message: String(err) });
    notify?.();
  });
  const next = async (type: string) => {
    for (;;) {
      const found = messages.find((m) => m.type === type || m.type === 'failed');
      if (found) {
        if (found.type === 'failed') throw new Error(`steady client: ${String(found.message)}`);
        return found;
      }
      await new Promise<void>((resolve) => (notify = resolve));
    }
  };
  await next('started');
  return {
    async stop() {
      worker.postMessage('stop');
      const done = await next('done');
      await worker.terminate();
      return { samples: done.samples as SteadySample[], events: done.events as string[] };
    },
  };
}
