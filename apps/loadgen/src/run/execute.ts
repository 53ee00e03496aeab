import type { RunPlan } from './plan';
import { openWorker, type WorkerLink } from './pool';
import { nowMs } from './worker';
import type { FromWorker, SendSettings, SentSummary, WorkerReport } from './wire';

export interface ExecuteOptions {
  plan: RunPlan;
  settings: SendSettings;
  /** Fork workers (false: one worker in this process). */
  forked: boolean;
  /** After the last worker is done sending, wait up to this long for missing deliveries. */
  drainMs: number;
  progress?: (line: string) => void;
}

export interface Execution {
  reports: WorkerReport[];
  /** When sending started (epoch ms). */
  startAt: number;
}

const START_DELAY_MS = 250;

/**
 * Runs one load phase over the workers: every worker connects its sockets, all start at the
 * same instant, and once every socket is done sending the deliveries are given `drainMs` to
 * arrive; then the workers close their sockets and report.
 */
export async function execute(opts: ExecuteOptions): Promise<Execution> {
  const { plan, settings } = opts;
  const count = plan.workers;
  const connected = new Set<number>();
  const sent = new Map<number, SentSummary>();
  const delivered = new Map<number, number>();
  const reports = new Map<number, WorkerReport>();
  let failure: Error | undefined;

  const onMessage = (m: FromWorker) => {
    switch (m.type) {
      case 'connected':
        connected.add(m.worker);
        break;
      case 'sent':
        sent.set(m.worker, m.summary);
        break;
      case 'progress':
        delivered.set(m.worker, m.delivered);
        break;
      case 'report':
        reports.set(m.report.worker, m.report);
        break;
      case 'error':
        failure ??= new Error(`worker ${m.worker}: ${m.message}`);
        break;
    }
  };
  const onExit = (worker: number, code: number | string) => {
    if (!reports.has(worker)) failure ??= new Error(`worker ${worker} exited (${code}) early`);
  };

  const links: WorkerLink[] = [];
  for (let w = 0; w < count; w++) links.push(openWorker(w, opts.forked, { onMessage, onExit }));

  /** Resolves when `done()` holds, rejects on a worker failure or after `timeoutMs`. */
  const until = async (done: () => boolean, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (failure) throw failure;
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  try {
    links.forEach((link, w) =>
      link.post({
        type: 'init',
        worker: w,
        sockets: plan.sockets.filter((s) => s.worker === w),
        settings,
      }),
    );
    await until(
      () => connected.size === count,
      60_000 + plan.sockets.length * 100,
      `${plan.sockets.length} sockets to connect`,
    );
    opts.progress?.(`${plan.sockets.length} sockets connected over ${count} worker(s)`);

    const startAt = nowMs() + START_DELAY_MS;
    for (const link of links) link.post({ type: 'start', atMs: startAt });
    await until(() => sent.size === count, Number.MAX_SAFE_INTEGER, 'the sends to finish');
    const acked = [...sent.values()].reduce((n, s) => n + s.acked, 0);
    opts.progress?.(`sending done: ${acked} acked in ${((nowMs() - startAt) / 1000).toFixed(1)} s`);

    const ackedBy = new Map([...sent.values()].flatMap((s) => s.ackedBySocket));
    const expected = plan.receiversOf.reduce(
      (n, receivers, s) => n + receivers.length * (ackedBy.get(s) ?? 0),
      0,
    );
    const total = () => [...delivered.values()].reduce((n, d) => n + d, 0);
    await until(() => total() >= expected, opts.drainMs, 'deliveries').catch((err: unknown) => {
      if (failure) throw failure;
      opts.progress?.(
        `drain ended with ${total()} of ${expected} deliveries seen (${String(err)})`,
      );
    });

    for (const link of links) link.post({ type: 'finish' });
    await until(() => reports.size === count, 30_000, 'the worker reports');
    return { reports: [...reports.values()].sort((a, b) => a.worker - b.worker), startAt };
  } catch (err) {
    for (const link of links) link.kill();
    throw err;
  }
}
