import type { RunPlan } from './plan';
import { openWorker, type WorkerLink } from './pool';
import { nowMs } from './worker';
import type { FromWorker, ReactionProgress, SendSettings, SentSummary, WorkerReport } from './wire';

/** Counts while a run is under way, for a live progress line. */
export interface LiveCounts {
  /** Seconds since sending started. */
  elapsedS: number;
  acked: number;
  delivered: number;
}

/** Moments of a run a caller can measure between (CPU of the server processes, say). */
export interface ExecuteHooks {
  /** Every socket is connected; `pids` are the worker processes (this one when in-process). */
  connected?(pids: number[]): void | Promise<void>;
  /** Sending starts now. */
  sending?(): void;
  /** Sending is over and the deliveries have arrived (or the drain gave up). */
  drained?(): void;
  /** About every 200 ms from the start of sending until drained. */
  live?(counts: LiveCounts): void;
}

export interface ExecuteOptions {
  plan: RunPlan;
  settings: SendSettings;
  /** Fork workers (false: one worker in this process). */
  forked: boolean;
  /** After the last worker is done sending, wait up to this long for missing deliveries. */
  drainMs: number;
  /** Connect, call `hooks.connected`, then close without sending (idle sockets). */
  connectOnly?: boolean;
  hooks?: ExecuteHooks;
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
 * same instant, and once every socket is done sending the deliveries (and the reactions with
 * their pushes) are given `drainMs` to arrive; then the workers close their sockets and report.
 */
export async function execute(opts: ExecuteOptions): Promise<Execution> {
  const { plan, settings, hooks = {} } = opts;
  const count = plan.workers;
  const connected = new Map<number, number>();
  /**
   * Worker clock minus this one's, per worker. Start times and results use the workers'
   * clock: workers forked together read the same wall clock, but this process may have
   * started long ago, and on a VM whose wall clock is being corrected, its
   * `timeOrigin + now()` can be seconds away from theirs.
   */
  const offsets: number[] = [];
  const sent = new Map<number, SentSummary>();
  const delivered = new Map<number, number>();
  const acked = new Map<number, number>();
  const reacting = new Map<number, ReactionProgress>();
  const reports = new Map<number, WorkerReport>();
  let failure: Error | undefined;

  const onMessage = (m: FromWorker) => {
    switch (m.type) {
      case 'connected':
        connected.set(m.worker, m.pid);
        offsets.push(m.now - nowMs());
        break;
      case 'sent':
        sent.set(m.worker, m.summary);
        break;
      case 'progress':
        delivered.set(m.worker, m.delivered);
        acked.set(m.worker, m.acked);
        if (m.reactions) reacting.set(m.worker, m.reactions);
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
  const sumOf = (m: Map<number, number>) => [...m.values()].reduce((n, d) => n + d, 0);
  let ticker: NodeJS.Timeout | undefined;

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
    await hooks.connected?.([...connected.values()]);

    // The median offset: one odd worker (slow to answer) does not move the start.
    const offset = [...offsets].sort((a, b) => a - b)[Math.floor(offsets.length / 2)] ?? 0;
    const workerNow = () => nowMs() + offset;
    let startAt = workerNow();
    if (!opts.connectOnly) {
      startAt = workerNow() + START_DELAY_MS;
      for (const link of links) link.post({ type: 'start', atMs: startAt });
      await new Promise((r) => setTimeout(r, Math.max(0, startAt - workerNow())));
      hooks.sending?.();
      if (hooks.live) {
        const live = hooks.live;
        ticker = setInterval(
          () =>
            live({
              elapsedS: (workerNow() - startAt) / 1000,
              acked: sumOf(acked),
              delivered: sumOf(delivered),
            }),
          200,
        );
      }
      await until(() => sent.size === count, Number.MAX_SAFE_INTEGER, 'the sends to finish');
      const ackedNow = [...sent.values()].reduce((n, s) => n + s.acked, 0);
      opts.progress?.(
        `sending done: ${ackedNow} acked in ${((workerNow() - startAt) / 1000).toFixed(1)} s`,
      );

      const ackedBy = new Map([...sent.values()].flatMap((s) => s.ackedBySocket));
      const expected = plan.receiversOf.reduce(
        (n, receivers, s) => n + receivers.length * (ackedBy.get(s) ?? 0),
        0,
      );
      // Reactions follow deliveries: wait until none is pending and their pushes are in.
      const reactions = () => {
        const all = [...reacting.values()];
        const total = (f: (p: ReactionProgress) => number) => all.reduce((n, p) => n + f(p), 0);
        return {
          pending: total((p) => p.pending),
          pushes: total((p) => p.pushes),
          expected: total((p) => p.pushesExpected),
        };
      };
      const drained = () => {
        const r = reactions();
        return sumOf(delivered) >= expected && r.pending === 0 && r.pushes >= r.expected;
      };
      await until(drained, opts.drainMs, 'deliveries').catch((err: unknown) => {
        if (failure) throw failure;
        const r = reactions();
        const more = reacting.size
          ? `, ${r.pending} reactions pending, ${r.pushes} of ${r.expected} reaction pushes`
          : '';
        opts.progress?.(
          `drain ended with ${sumOf(delivered)} of ${expected} deliveries seen${more} (${String(err)})`,
        );
      });
      hooks.drained?.();
      clearInterval(ticker);
    }

    for (const link of links) link.post({ type: 'finish' });
    await until(() => reports.size === count, 30_000, 'the worker reports');
    return { reports: [...reports.values()].sort((a, b) => a.worker - b.worker), startAt };
  } catch (err) {
    clearInterval(ticker);
    for (const link of links) link.kill();
    throw err;
  }
}
