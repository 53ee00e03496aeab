import { randomBytes } from 'node:crypto';
import type { ScenarioOptions } from '../cli/args';
import type { Population } from '../setup/population';
import { execute, type ExecuteHooks } from './execute';
import { planRun } from './plan';
import { buildResult, type LoadResult } from './result';
import type { TransportKind } from './transport';
import type { SendSettings } from './wire';

export interface ScenarioRun {
  label: string;
  population: Population;
  gateways: readonly string[];
  scenario: Pick<
    ScenarioOptions,
    | 'sockets'
    | 'messages'
    | 'durationS'
    | 'rate'
    | 'window'
    | 'workers'
    | 'contentBytes'
    | 'clientMsgId'
    | 'ackTimeoutS'
    | 'drainS'
    | 'topology'
  > &
    Partial<Pick<ScenarioOptions, 'typingRatio' | 'reactionRatio'>>;
  /** Base URL of the REST api: needed when the scenario has reactions. */
  apiUrl?: string;
  /** The protocol of the sockets (default `ws`, the chat protocol). */
  transport?: TransportKind;
  /** Connect every socket, call `hooks.connected`, close: nothing is sent. */
  connectOnly?: boolean;
  hooks?: ExecuteHooks;
  progress?: (line: string) => void;
}

/** Opens the sockets of one run over the population, sends, and returns the figures. */
export async function runScenario(run: ScenarioRun): Promise<LoadResult> {
  const { population, scenario: s } = run;
  if ((s.reactionRatio ?? 0) > 0 && !run.apiUrl) {
    throw new Error(`${run.label}: reactions need the base URL of the REST api`);
  }
  const plan = planRun(population, {
    sockets: s.sockets,
    messages: s.messages,
    workers: s.workers,
    gateways: run.gateways,
  });
  const settings: SendSettings = {
    // A fresh id per run: pushes of an earlier run still in flight are not counted.
    runId: randomBytes(4).toString('hex'),
    transport: run.transport ?? 'ws',
    rate: s.rate,
    totalSockets: plan.sockets.length,
    window: s.window,
    contentBytes: s.contentBytes,
    clientMsgId: s.clientMsgId,
    typingRatio: s.typingRatio ?? 0,
    reactionRatio: s.reactionRatio ?? 0,
    apiUrl: run.apiUrl,
    ackTimeoutMs: s.ackTimeoutS * 1000,
    durationMs: s.durationS * 1000,
  };
  const progress = run.progress && ((line: string) => run.progress!(`${run.label}: ${line}`));
  const { reports, startAt } = await execute({
    plan,
    settings,
    forked: s.workers > 0,
    drainMs: s.drainS * 1000,
    connectOnly: run.connectOnly,
    hooks: run.hooks,
    progress,
  });
  return buildResult(
    {
      label: run.label,
      plan,
      settings,
      accounts: population.accounts.length,
      gateways: run.gateways.length,
      topology: s.topology,
      relationSize: population.relations[0]?.members.length ?? 0,
      messagesPlanned: s.messages,
      startAt,
    },
    reports,
  );
}
