import type { RunningApp, SuiteContext } from '@chat/testing';
import type { EventLog } from './events';
import type { ApiClient } from './http';
import type { Inbox } from './mailbox';
import type { GatewayProcess, StackOptions } from './stack';
import { startStack } from './stack';
import { startStandaloneStack } from './standalone-stack';

/**
 * What the end-to-end suites run against (docs/development.md §7: the same tests against the distributed
 * apps and against standalone), chosen by `E2E_TARGET`:
 * - `distributed` (default): every role its own process, on Postgres, Redis, Kafka and an
 *   SMTP sink;
 * - `standalone`: one `npm start` process on its embedded adapters, nothing else running.
 */
export type E2eTarget = 'distributed' | 'standalone';

export const E2E_TARGET: E2eTarget = (() => {
  const target = process.env.E2E_TARGET || 'distributed';
  if (target !== 'distributed' && target !== 'standalone') {
    throw new Error(`E2E_TARGET: expected distributed or standalone, got ${target}`);
  }
  return target;
})();

/** What a suite drives, whichever the target. */
export interface TargetStack {
  target: E2eTarget;
  /** The suite's own database, Redis prefix and topics (distributed target only). */
  ctx?: SuiteContext;
  /** Where the verification mails arrive: the SMTP sink, or the dev mailbox. */
  sink: Inbox;
  /**
   * `chat.events` read from Kafka (distributed target only): the standalone server's bus
   * is in-process and nothing outside it can read it. Use `onBus`.
   */
  events?: EventLog;
  /** The settings the apps were started with (environment names). */
  env: Record<string, string>;
  api: ApiClient;
  apps: RunningApp[];
  /** On the standalone target, every entry is the one server's `/ws`. */
  gateways: GatewayProcess[];
  startGateway(machineId: number): Promise<GatewayProcess>;
  /** On the standalone target the workers run inside the server already: nothing starts. */
  startWorker(name: 'persister' | 'notifier'): Promise<RunningApp>;
  /**
   * One more api on the same services with extra settings. On the standalone target: one
   * more server on a data folder of its own (the embedded database serves one process), so
   * it does not see the suite's data.
   */
  startApi(extraEnv?: Record<string, string>): Promise<{ app: RunningApp; client: ApiClient }>;
  stop(): Promise<void>;
}

/** Starts the stack of `E2E_TARGET`; same arguments as `startStack`. */
export function startTargetStack(
  name: string,
  extraEnv: Record<string, string> = {},
  options: StackOptions = {},
): Promise<TargetStack> {
  return E2E_TARGET === 'standalone'
    ? startStandaloneStack(extraEnv, options)
    : startStack(name, extraEnv, options);
}

/**
 * Runs checks of what the apps published on `chat.events`, where a test can read it. The
 * distributed apps publish to Kafka, which a test reads like any other consumer; on the
 * standalone target the bus is inside the server, so these checks are left out there (what
 * those records cause is still checked wherever it shows over HTTP or WebSocket).
 */
export async function onBus(
  stack: TargetStack,
  checks: (events: EventLog) => Promise<void> | void,
): Promise<void> {
  if (stack.events) await checks(stack.events);
}

/**
 * A test that needs something only the distributed apps have: a second api process on the
 * same database. Skipped on the standalone target, whose embedded database serves one
 * process; say why at the call site.
 */
export const itWithSecondApi = E2E_TARGET === 'distributed' ? it : it.skip;
