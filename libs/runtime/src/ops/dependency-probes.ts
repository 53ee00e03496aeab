import type { ReadinessCheck } from './readiness';

/** A port's adapter that can say whether its service answers (`ping()` on each port). */
export interface Pingable {
  ping(): Promise<void>;
}

/**
 * The production services a role talks to, as the adapters it owns: each is asked through
 * its own `ping()`, on its own connection, so `/readyz` reports what the role's work would
 * meet. Leave out embedded adapters (nothing to probe) and adapters another role owns.
 */
export interface ProbedServices {
  database?: Pingable;
  /** The cache, or, for a role without one, the job queue: both live in Redis. */
  redis?: Pingable;
  kafka?: Pingable;
}

/** The readiness checks of a role's dependencies, named `database`, `redis`, `kafka`. */
export function dependencyChecks(services: ProbedServices): ReadinessCheck[] {
  return (['database', 'redis', 'kafka'] as const).flatMap((name) => {
    const adapter = services[name];
    return adapter ? [{ name, check: () => adapter.ping() }] : [];
  });
}
