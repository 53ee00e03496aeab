import type { Registry } from 'prom-client';
import type { Bus } from '@chat/bus';
import { registerConsumerLag } from './ops/consumer-lag';
import { dependencyChecks, type ProbedServices } from './ops/dependency-probes';
import { createMetricsRegistry } from './ops/metrics';
import { OpsEndpoints } from './ops/ops-endpoints';
import { startOpsServer } from './ops/ops-server';
import type { OpsHost } from './ops/shared-ops';
import type { RoleKit } from './role-kit';

export interface RoleOpsOptions {
  /**
   * The process's one ops server, when the role runs beside other roles (the standalone
   * server): the role's figures go there and it serves no ops port of its own.
   */
  host?: OpsHost;
  /** What `/readyz` asks: the services of the adapters the role owns, not shared ones. */
  services: ProbedServices;
  /** A consumer group and its topics, whose lag `/metrics` reports, read through `bus`. */
  lag?: { bus: Pick<Bus, 'positions'>; group: string; topics: string[] };
  /** Where the role's own ops server listens (`Server.Host`, `Server.<Role>OpsPort`). */
  listen: { host: string; port: number };
}

export interface RoleOps {
  metrics: Registry;
  endpoints: OpsEndpoints;
  /**
   * Starts the role's ops server (none when hosted) and returns its port. Call it just
   * before the role's own listener, so a port already taken stops the start before the
   * role serves. `place`: a step reserved earlier (`RoleKit.reserve`), where the server
   * then closes; by default it closes before everything started before it.
   */
  serve(place?: (close: () => Promise<void>) => void): Promise<number | undefined>;
}

/**
 * The ops side of a role (docs/operations.md): a metrics registry, readiness checks of the
 * services it owns (each adapter's `ping()`), consumer lag where it consumes, and `/healthz`, `/readyz`,
 * `/metrics` on its ops port, or its figures on the host's.
 */
export function roleOps(kit: RoleKit, opts: RoleOpsOptions): RoleOps {
  const metrics = opts.host?.registry(kit.role) ?? createMetricsRegistry(kit.role);
  if (opts.lag) registerConsumerLag(metrics, opts.lag.bus, opts.lag.group, opts.lag.topics);
  const endpoints = new OpsEndpoints(metrics, dependencyChecks(opts.services));
  return {
    metrics,
    endpoints,
    serve: async (place) => {
      if (opts.host) return undefined;
      const server = await startOpsServer(endpoints, { ...opts.listen, log: kit.log });
      if (place) place(() => server.close());
      else kit.add('ops server', () => server.close());
      return server.port;
    },
  };
}
