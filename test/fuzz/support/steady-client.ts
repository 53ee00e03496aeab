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
 * Starts the well-behaved pair of `steady-client.cjs` in a worker thread: two accounts of
 * one friendship exchanging a message every `intervalMs`.
 */
export async function startSteadyClient(opts: {
  url: string;
  tokens: [string, string];
  relation: number;
  intervalMs: number;
  tag: string;
}): Promise<SteadyClient> {
  const worker = new Worker(path.join(__dirname, 'steady-client.cjs'), { workerData: opts });
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
