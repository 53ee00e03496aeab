import { AggregatorRegistry, Registry } from 'prom-client';
import { createMetricsRegistry } from './metrics';
import type { MetricsSource } from './ops-endpoints';

/**
 * Where a role that runs beside others in one process (the standalone server) puts its
 * figures, instead of starting an ops server of its own: the process has one ops server.
 */
export interface OpsHost {
  /**
   * A registry for `role`'s own series, labelled `app="<role>"`. It has no process figures
   * (CPU, memory, event loop): the host reports those once for the whole process.
   */
  registry(role: string): Registry;
}

/**
 * The one `/metrics` of a process that runs several roles: the process figures under
 * `app="<app>"`, then every role's series under `app="<role>"`, in one exposition. Roles
 * may register the same metric name (the api and the mailer both report the email queue's
 * depth): each name is written once, with the samples of every role, as Prometheus expects.
 */
export class SharedOps implements OpsHost, MetricsSource {
  private readonly process: Registry;
  private readonly roles: Registry[] = [];

  constructor(app: string) {
    this.process = createMetricsRegistry(app);
  }

  registry(role: string): Registry {
    const registry = new Registry();
    registry.setDefaultLabels({ app: role });
    this.roles.push(registry);
    return registry;
  }

  get contentType(): MetricsSource['contentType'] {
    return this.process.contentType;
  }

  async metrics(): Promise<string> {
    const all = await Promise.all(
      [this.process, ...this.roles].map((registry) => registry.getMetricsAsJSON()),
    );
    // Samples of one name from different roles differ by their `app` label: merging them
    // lists them side by side (nothing is summed).
    return AggregatorRegistry.aggregate(all).metrics();
  }
}
