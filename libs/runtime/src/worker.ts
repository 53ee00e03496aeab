import { createBus, type Bus, type BusConfig } from '@chat/bus';
import type { Config } from '@chat/config';
import type { Logger } from '@chat/logger';
import type { Registry } from 'prom-client';
import { busConfig } from './adapter-configs';
import type { Closable } from './close-in-order';
import { DependencyProbes, type ProbedServices } from './ops/dependency-probes';
import { registerConsumerLag } from './ops/kafka-probe';
import { createMetricsRegistry } from './ops/metrics';
import { OpsEndpoints } from './ops/ops-endpoints';
import { startOpsServer } from './ops/ops-server';
import type { OpsHost } from './ops/shared-ops';

/**
 * Kafka timing of a worker (persister, notifier): a member that dies loses its partitions
 * after 10 s instead of kafkajs's 30 s, so another member (or its restart) takes its records
 * over soon; and an idle fetch waits at most a second, which bounds how long stopping takes.
 */
export function workerBusConfig(config: Pick<Config, 'Kafka' | 'App'>, role: string): BusConfig {
  const cfg = busConfig(config, role);
  return cfg.kind === 'kafka'
    ? {
        ...cfg,
        consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 1_000 },
      }
    : cfg;
}

/**
 * A worker's bus: the one a one-process runner shares (`given`, closed by its owner), or
 * its own, which joins `started`. Without `Kafka.Brokers` its own bus is in-process, so the
 * worker sees only records of its own process: it says so.
 */
export function workerBus(
  config: Pick<Config, 'Kafka' | 'App'>,
  log: Logger,
  role: string,
  given: Bus | undefined,
  started: Closable[],
): Bus {
  if (given) return given;
  const bus = createBus(workerBusConfig(config, role), log);
  started.push({ name: 'bus', close: () => bus.close() });
  if (!config.Kafka.Brokers) {
    log.warn(`Kafka.Brokers is not set: this ${role} only sees records of its own process`);
  }
  return bus;
}

export interface WorkerOpsOptions {
  role: string;
  /** The consumer group and its topics, whose lag `/metrics` reports. */
  group: string;
  topics: string[];
  /** The ops server's port (`Server.*OpsPort`; 0 picks a free one). */
  port: number;
  /**
   * The process's one ops server, when the worker runs beside other roles (the standalone
   * server): the worker's figures go there and it starts no ops server of its own.
   */
  host?: OpsHost;
  /** What `/readyz` asks; leave out what the process does not own (a shared adapter). */
  services: ProbedServices;
  config: Pick<Config, 'Server'>;
  log: Logger;
  started: Closable[];
}

/**
 * A worker's ops side (issue 7): a metrics registry, readiness probes of its own services,
 * consumer-lag gauges when it uses Kafka, and `/healthz`, `/readyz`, `/metrics` on its ops
 * port (or its figures on the `host`'s). The probes and the server join `started`.
 */
export async function startWorkerOps(
  opts: WorkerOpsOptions,
): Promise<{ metrics: Registry; ops: OpsEndpoints }> {
  const metrics = opts.host?.registry(opts.role) ?? createMetricsRegistry(opts.role);
  const probes = new DependencyProbes(opts.services);
  opts.started.push({ name: 'dependency probes', close: () => probes.close() });
  if (probes.kafka) registerConsumerLag(metrics, probes.kafka, opts.group, opts.topics);
  const ops = new OpsEndpoints(metrics, probes.checks);
  if (opts.host) return { metrics, ops };
  const server = await startOpsServer(ops, {
    host: opts.config.Server.Host,
    port: opts.port,
    log: opts.log,
  });
  opts.started.push({ name: 'ops server', close: () => server.close() });
  return { metrics, ops };
}
