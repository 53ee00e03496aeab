import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { LocalSockets } from '../sockets/local-sockets';

/** Seconds from a `send_msg` frame's arrival to its reply; acks wait for Kafka (acks = all). */
const ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The limits whose refusals are counted (docs/limits.md). */
const LIMITS = ['send_rate', 'connections_per_account', 'connections_per_address'] as const;

/**
 * The gateway's figures (issue 7): sockets held, frames in and out, and send→ack latency.
 *
 * - `chat_gateway_open_sockets`, `chat_gateway_authenticated_sockets`: read at each scrape.
 * - `chat_gateway_frames_in_total`, `chat_gateway_frames_out_total`: every WebSocket text or
 *   binary frame received, every frame written (replies and pushes); control frames aside.
 * - `chat_gateway_send_ack_seconds{outcome}`: from a `send_msg` frame's arrival to its reply
 *   (`ok` once Kafka holds the record, `error` for any refusal).
 * - `chat_gateway_limit_refusals_total{limit}`: requests and connections refused by a limit
 *   of docs/limits.md (`send_rate`, `connections_per_account`, `connections_per_address`).
 */
export class GatewayMetrics {
  private readonly framesIn: Counter;
  private readonly framesOut: Counter;
  private readonly sendAck: Histogram<'outcome'>;
  private readonly refusals: Counter<'limit'>;

  constructor(registry: Registry, sockets: Pick<LocalSockets, 'size' | 'authenticatedCount'>) {
    new Gauge({
      name: 'chat_gateway_open_sockets',
      help: 'WebSocket connections open on this gateway.',
      registers: [registry],
      collect() {
        this.set(sockets.size);
      },
    });
    new Gauge({
      name: 'chat_gateway_authenticated_sockets',
      help: 'Open WebSocket connections that have authenticated.',
      registers: [registry],
      collect() {
        this.set(sockets.authenticatedCount);
      },
    });
    this.framesIn = new Counter({
      name: 'chat_gateway_frames_in_total',
      help: 'WebSocket data frames received from clients.',
      registers: [registry],
    });
    this.framesOut = new Counter({
      name: 'chat_gateway_frames_out_total',
      help: 'WebSocket data frames written to clients (replies and pushes).',
      registers: [registry],
    });
    this.sendAck = new Histogram({
      name: 'chat_gateway_send_ack_seconds',
      help: 'Time from a send_msg frame arriving to its reply being written, by outcome.',
      labelNames: ['outcome'],
      buckets: ACK_BUCKETS,
      registers: [registry],
    });
    // Both outcomes are exported from the start, so rates over them exist before any send.
    for (const outcome of ['ok', 'error']) this.sendAck.zero({ outcome });
    this.refusals = new Counter({
      name: 'chat_gateway_limit_refusals_total',
      help: 'send_msg requests and connections refused by a per-account or per-address limit.',
      labelNames: ['limit'],
      registers: [registry],
    });
    for (const limit of LIMITS) this.refusals.inc({ limit }, 0);
  }

  /** A request or connection was refused by `limit`. */
  refused(limit: (typeof LIMITS)[number]): void {
    this.refusals.inc({ limit });
  }

  frameIn(): void {
    this.framesIn.inc();
  }

  frameOut(): void {
    this.framesOut.inc();
  }

  /** A `send_msg` was answered `seconds` after its frame arrived. */
  sendAnswered(seconds: number, isOk: boolean): void {
    this.sendAck.observe({ outcome: isOk ? 'ok' : 'error' }, seconds);
  }
}
