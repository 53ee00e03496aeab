import { randomBytes } from 'node:crypto';
import type { BenchOptions, Comparison } from './cli/args';
import type { LoadResult } from './run/result';
import { runScenario, type ScenarioRun } from './run/run-scenario';
import { ApiClient } from './setup/api-client';
import { createPopulation } from './setup/population';

/** A run beside the main one, with each figure as a ratio to the main run's. */
export interface BenchComparison {
  name: Comparison;
  /** What differs from the main run. */
  change: string;
  result: LoadResult;
  /** This run's figure ÷ the main run's. */
  ratios: {
    ackedPerSec: number | null;
    ackP50: number | null;
    ackP99: number | null;
    deliveryP50: number | null;
    deliveryP99: number | null;
  };
}

export interface BenchReport {
  stackSeconds: number;
  setupSeconds: number;
  warmup: LoadResult;
  main: LoadResult;
  comparisons: BenchComparison[];
}

const WARMUP_S = 3;
const WARMUP_RATE = 200;
const COMPARE_MAX_S = 10;

/**
 * `bench`: starts the distributed stack, creates the accounts, warms the pipeline up (consumer
 * groups settle, connections open), runs the main scenario and each comparison on the same
 * accounts, and stops everything, on success, failure or a signal.
 */
export async function runBench(
  opts: BenchOptions,
  progress: (line: string) => void,
): Promise<BenchReport> {
  // The harness is loaded only here: `run` needs none of it.
  const { startBenchStack } = await import('./testing/bench-stack');
  const t0 = Date.now();
  const stack = await startBenchStack({
    name: 'loadgen_bench',
    gateways: opts.gatewayCount,
    progress,
  });
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping the stack`);
    void stack.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const stackSeconds = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    const population = await createPopulation(new ApiClient(stack.apiUrl), stack.codes, {
      accounts: opts.accounts,
      accountsPerUser: opts.accountsPerUser,
      topology: opts.topology,
      groupSize: opts.groupSize,
      tag: randomBytes(3).toString('hex'),
      progress,
    });
    const setupSeconds = (Date.now() - t1) / 1000;
    const run = (label: string, gateways: string[], changes: Partial<ScenarioRun['scenario']>) =>
      runScenario({
        label,
        population,
        gateways,
        scenario: { ...opts, ...changes },
        progress,
      });

    const warmup = await run('warmup', stack.gatewayUrls, {
      rate: WARMUP_RATE,
      durationS: WARMUP_S,
      messages: WARMUP_RATE * WARMUP_S,
    });
    const main = await run('main', stack.gatewayUrls, {});
    const compareS = Math.min(opts.durationS || COMPARE_MAX_S, COMPARE_MAX_S);
    const comparisons: BenchComparison[] = [];
    for (const name of opts.compare) {
      if (name === 'window') {
        if (opts.window === 1) continue;
        const result = await run('window-1', stack.gatewayUrls, { window: 1, durationS: compareS });
        comparisons.push(compare(name, `window 1 instead of ${opts.window}`, result, main));
      } else {
        if (stack.gatewayUrls.length < 2) continue;
        const result = await run('one-gateway', stack.gatewayUrls.slice(0, 1), {
          durationS: compareS,
        });
        comparisons.push(
          compare(
            name,
            `every socket on 1 gateway instead of ${stack.gatewayUrls.length}`,
            result,
            main,
          ),
        );
      }
    }
    return { stackSeconds, setupSeconds, warmup, main, comparisons };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress('stopping the stack');
    await stack.stop();
  }
}

function compare(
  name: Comparison,
  change: string,
  result: LoadResult,
  main: LoadResult,
): BenchComparison {
  const ratio = (a: number | null, b: number | null) =>
    a === null || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100;
  return {
    name,
    change,
    result,
    ratios: {
      ackedPerSec: ratio(result.ackedPerSec, main.ackedPerSec),
      ackP50: ratio(result.ackLatencyMs.p50, main.ackLatencyMs.p50),
      ackP99: ratio(result.ackLatencyMs.p99, main.ackLatencyMs.p99),
      deliveryP50: ratio(result.deliveryLatencyMs.p50, main.deliveryLatencyMs.p50),
      deliveryP99: ratio(result.deliveryLatencyMs.p99, main.deliveryLatencyMs.p99),
    },
  };
}

/** The comparison as one line of ratios. */
export function formatComparison(c: BenchComparison): string {
  const x = (v: number | null) => (v === null ? '-' : `×${v.toFixed(2)}`);
  return (
    `${c.result.label} vs main (${c.change}): msg/s ${x(c.ratios.ackedPerSec)}, ` +
    `ack p50 ${x(c.ratios.ackP50)}, ack p99 ${x(c.ratios.ackP99)}, ` +
    `delivery p50 ${x(c.ratios.deliveryP50)}, delivery p99 ${x(c.ratios.deliveryP99)}`
  );
}
