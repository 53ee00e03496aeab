/**
 * One dependency `/readyz` asks about (docs/architecture.md: database, Redis, Kafka as the app
 * uses them). `check` resolves when the dependency answers; a rejection or `false` means
 * it does not.
 */
export interface ReadinessCheck {
  name: string;
  check(): Promise<unknown>;
}

export interface Readiness {
  isReady: boolean;
  /** `ok`, or why the check failed, per check name. */
  checks: Record<string, string>;
}

/** Bound on one check, so a hung dependency makes `/readyz` answer 503 rather than hang. */
export const CHECK_TIMEOUT_MS = 2000;

/** Runs every check at once, each bounded by `timeoutMs`. */
export async function checkReadiness(
  checks: ReadinessCheck[],
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<Readiness> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        const answer = await withTimeout(check(), timeoutMs, `${name} did not answer`);
        return [name, answer === false ? 'not connected' : 'ok'] as const;
      } catch (err) {
        return [name, err instanceof Error ? err.message : String(err)] as const;
      }
    }),
  );
  return {
    isReady: results.every(([, r]) => r === 'ok'),
    checks: Object.fromEntries(results),
  };
}

/** `work`, or a rejection with `message` once `ms` have passed. */
export function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
