import type { Registry } from 'prom-client';
import { checkReadiness, type ReadinessCheck } from './readiness';

/** One answer of an ops endpoint, for whichever HTTP server carries it. */
export interface OpsReply {
  status: number;
  contentType: string;
  body: string;
}

export const OPS_PATHS = ['/healthz', '/readyz', '/metrics'] as const;
export type OpsPath = (typeof OPS_PATHS)[number];

/** What `/metrics` serves: an app's registry, or the figures of several (`SharedOps`). */
export type MetricsSource = Pick<Registry, 'metrics' | 'contentType'>;

/**
 * What an operator's probes and Prometheus ask of every app, on its ops server (a port of
 * its own, kept off the public network; `startOpsServer`):
 *
 * - `/healthz`: the process is alive and its event loop turns: always 200.
 * - `/readyz`: 200 when every dependency answers, 503 with the failing ones otherwise, and
 *   503 from the moment shutdown starts (docs/development.md §4: report not-ready first).
 * - `/metrics`: the registry in Prometheus text format.
 *
 * A public listener (the api's, the gateway's) serves `publicHealth` at `/healthz` only:
 * no dependency detail and no figures reach the public port.
 */
export class OpsEndpoints {
  private stopping = false;

  constructor(
    private readonly registry: MetricsSource,
    private readonly checks: ReadinessCheck[],
  ) {}

  /** From now on `/readyz` and `publicHealth` answer 503 (shutdown has begun). */
  markStopping(): void {
    this.stopping = true;
  }

  /**
   * `/healthz` of a public port, for a load balancer: 200 while the listener takes work,
   * 503 from the moment shutdown begins so the balancer stops routing here. Nothing about
   * the dependencies: that is `/readyz`, on the ops port.
   */
  publicHealth(): OpsReply {
    return this.stopping ? json(503, { status: 'stopping' }) : json(200, { status: 'ok' });
  }

  /** The reply for `path`, or undefined when it is not an ops path. */
  answer(path: string): Promise<OpsReply> | undefined {
    switch (path as OpsPath) {
      case '/healthz':
        return Promise.resolve(json(200, { status: 'ok' }));
      case '/readyz':
        return this.ready();
      case '/metrics':
        return this.metrics();
      default:
        return undefined;
    }
  }

  private async ready(): Promise<OpsReply> {
    if (this.stopping) return json(503, { status: 'stopping' });
    const { isReady, checks } = await checkReadiness(this.checks);
    return json(isReady ? 200 : 503, { status: isReady ? 'ready' : 'not ready', checks });
  }

  private async metrics(): Promise<OpsReply> {
    try {
      return {
        status: 200,
        contentType: this.registry.contentType,
        body: await this.registry.metrics(),
      };
    } catch (err) {
      return json(500, { status: 'error', error: (err as Error).message });
    }
  }
}

function json(status: number, body: object): OpsReply {
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}
