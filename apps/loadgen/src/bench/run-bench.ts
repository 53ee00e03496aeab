import type { BenchOptions, SystemName } from '../cli/args';
import type { LiveCounts } from '../run/execute';
import type { LoadResult } from '../run/result';
import { runScenario, type ScenarioRun } from '../run/run-scenario';
import { CpuMeter, rssKbOf, type GroupCpu, type ProcessGroup } from './proc-stats';
import { startSystem, TITLES, type RunningSystem } from './systems';

/** Server memory with and without extra idle authenticated sockets. */
export interface IdleMemory {
  sockets: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  kbPerSocket: number;
}

/** One measured run of one system. */
export interface BenchPoint {
  /** `rate 1000/s` or `closed loop, window 16`. */
  label: string;
  /** Messages per second asked for; null for a closed-loop run. */
  offered: number | null;
  /** Share of messages followed by a reaction (0: none). */
  reactionRatio: number;
  result: LoadResult;
  /** CPU of every process group from the start of sending until the deliveries drained. */
  cpu: GroupCpu[];
  /** CPU of the server's processes (client workers excluded) per delivered message, in µs. */
  serverCpuUsPerDelivered: number | null;
  /** The same for each group. */
  cpuUsPerDelivered: Record<string, number | null>;
}

export interface SystemReport {
  system: SystemName;
  title: string;
  startSeconds?: number;
  setupSeconds?: number;
  notes: string[];
  idle?: IdleMemory;
  warmup?: LoadResult;
  points: BenchPoint[];
  /** Set when the system could not be started or measured; the others still are. */
  error?: string;
}

export interface BenchReport {
  startedAt: string;
  argv: string[];
  machine: { nproc: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  options: BenchOptions;
  systems: SystemReport[];
}

export interface BenchHooks {
  progress(line: string): void;
  /** A live line while a run is under way (elapsed, acked, delivered, current rate). */
  live?(line: string): void;
  /** The live line is done: the next output starts on a fresh line. */
  liveDone?(): void;
}

const WARMUP_RATE = 1000;
/** After idle sockets are up, the server settles before its memory is read. */
const IDLE_SETTLE_MS = 1500;

export function pointLabel(rate: number, window: number, reactionRatio = 0): string {
  const base = rate > 0 ? `rate ${rate}/s` : `closed loop, window ${window}`;
  return reactionRatio > 0 ? `${base}, reactions ${reactionRatio}` : base;
}

/**
 * The side-by-side bench: for each system in turn, start it, populate it, measure its memory
 * per idle socket, warm it up, run one point per rate with CPU sampled for every process
 * involved, and stop it, whatever happened. A system that fails is reported as such and the
 * next one still runs.
 */
export async function runBench(
  opts: BenchOptions,
  argv: string[],
  hooks: BenchHooks,
  machine: BenchReport['machine'],
): Promise<BenchReport> {
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    argv,
    machine,
    options: opts,
    systems: [],
  };
  let current: RunningSystem | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    hooks.progress(`${signal}: stopping ${current?.name ?? 'nothing'}`);
    void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const name of opts.systems) {
      const entry: SystemReport = { system: name, title: TITLES[name], notes: [], points: [] };
      report.systems.push(entry);
      hooks.progress(`${name}: starting (${TITLES[name]})`);
      try {
        current = await startSystem(name, { opts, progress: hooks.progress });
        entry.startSeconds = round(current.startSeconds, 1);
        entry.setupSeconds = round(current.setupSeconds, 1);
        entry.notes = current.notes;
        hooks.progress(
          `${name}: up in ${entry.startSeconds} s, ${current.population.accounts.length} accounts ` +
            `ready in ${entry.setupSeconds} s`,
        );
        await measureSystem(current, opts, entry, hooks);
      } catch (err) {
        hooks.liveDone?.();
        entry.error = err instanceof Error ? err.message : String(err);
        hooks.progress(`${name}: FAILED: ${entry.error}`);
      } finally {
        if (current) {
          hooks.progress(`${name}: stopping`);
          await current.stop().catch((err: unknown) => {
            hooks.progress(`${name}: stop failed: ${String(err)}`);
          });
          current = undefined;
        }
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return report;
}

async function measureSystem(
  sys: RunningSystem,
  opts: BenchOptions,
  entry: SystemReport,
  hooks: BenchHooks,
): Promise<void> {
  const scenario = (changes: Partial<ScenarioRun['scenario']>): ScenarioRun['scenario'] => ({
    ...opts,
    rate: 0,
    ...changes,
  });
  const base = {
    population: sys.population,
    gateways: sys.urls,
    apiUrl: sys.apiUrl,
    transport: sys.transport,
    progress: (line: string) => hooks.progress(`${sys.name}: ${line}`),
  };

  if (opts.idleSockets > 0) {
    // Measured first, on a server that has not yet carried load (less garbage to confuse RSS).
    const rss = () => sys.socketPids().reduce((n, pid) => n + (rssKbOf(pid) ?? 0), 0);
    const rssBeforeKb = rss();
    let rssAfterKb = rssBeforeKb;
    await runScenario({
      ...base,
      label: 'idle',
      connectOnly: true,
      scenario: scenario({ sockets: opts.idleSockets, messages: 0, workers: opts.workers }),
      hooks: {
        connected: async () => {
          await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
          rssAfterKb = rss();
        },
      },
    });
    entry.idle = {
      sockets: opts.idleSockets,
      rssBeforeKb,
      rssAfterKb,
      kbPerSocket: round((rssAfterKb - rssBeforeKb) / opts.idleSockets, 2),
    };
    hooks.progress(
      `${sys.name}: ${opts.idleSockets} idle sockets: RSS ${mb(rssBeforeKb)} → ${mb(rssAfterKb)} MB, ` +
        `${entry.idle.kbPerSocket} KB per socket`,
    );
  }

  // Reactions need a REST api: the baselines have none, and skip those points.
  const ratios = opts.reactionRatios.filter((r) => r === 0 || sys.apiUrl);
  if (ratios.length < opts.reactionRatios.length) {
    entry.notes.push('no REST api: the points with reactions are not measured');
  }
  if (opts.warmupS > 0) {
    const rate = WARMUP_RATE;
    entry.warmup = await runScenario({
      ...base,
      label: 'warmup',
      scenario: scenario({
        rate,
        durationS: opts.warmupS,
        messages: rate * opts.warmupS,
        // The reaction path warms up too.
        reactionRatio: Math.max(0, ...ratios),
      }),
      hooks: { live: liveLine(sys.name, 'warmup', hooks) },
    });
    hooks.liveDone?.();
  }

  const points = opts.rates.flatMap((rate) =>
    ratios.map((reactionRatio) => ({ rate, reactionRatio })),
  );
  for (const { rate, reactionRatio } of points) {
    const label = pointLabel(rate, opts.window, reactionRatio);
    let meter: CpuMeter | undefined;
    let cpu: GroupCpu[] = [];
    const result = await runScenario({
      ...base,
      label,
      scenario: scenario({ rate, reactionRatio }),
      hooks: {
        connected: (pids) => {
          const client: ProcessGroup = { name: 'client', server: false, pids: () => pids };
          meter = new CpuMeter([...sys.processes, client]);
        },
        sending: () => meter?.start(),
        drained: () => {
          cpu = meter?.stop() ?? [];
        },
        live: liveLine(sys.name, label, hooks),
      },
    });
    hooks.liveDone?.();
    const delivered = result.deliveries.delivered;
    const perMsg = (ms: number) => (delivered > 0 ? round((ms * 1000) / delivered, 1) : null);
    const serverMs = cpu.filter((c) => c.server).reduce((n, c) => n + c.cpuMs, 0);
    entry.points.push({
      label,
      offered: rate > 0 ? rate : null,
      reactionRatio,
      result,
      cpu,
      serverCpuUsPerDelivered: perMsg(serverMs),
      cpuUsPerDelivered: Object.fromEntries(cpu.map((c) => [c.name, perMsg(c.cpuMs)])),
    });
    const x = result.reactions;
    const reacted = x
      ? `, ${Math.round(x.okPerSec)} reactions/s (${x.failed} failed), reaction p99 ` +
        `${x.latencyMs.p99} ms, ${x.pushes.received}/${x.pushes.expected} reaction pushes`
      : '';
    hooks.progress(
      `${sys.name} ${label}: ${Math.round(result.ackedPerSec)} acked/s, ` +
        `${Math.round(result.deliveredPerSec)} delivered/s, delivery p99 ${result.deliveryLatencyMs.p99} ms, ` +
        `${result.deliveries.missing} undelivered${reacted}, server CPU ${perMsg(serverMs)} µs/msg`,
    );
  }
}

/** Builds the live line of one run: counts, and the rate over the last second or so. */
function liveLine(system: string, label: string, hooks: BenchHooks) {
  let last: LiveCounts | undefined;
  let rate = 0;
  return (c: LiveCounts) => {
    if (last && c.elapsedS - last.elapsedS >= 1) {
      rate = (c.delivered - last.delivered) / (c.elapsedS - last.elapsedS);
      last = c;
    }
    last ??= c;
    hooks.live?.(
      `${system} ${label}: ${c.elapsedS.toFixed(1)} s, ${c.acked} acked, ${c.delivered} delivered, ` +
        `${Math.round(rate)} delivered/s`,
    );
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const mb = (kb: number) => (kb / 1024).toFixed(1);
