import type { Bus } from '@chat/bus';
import type { Logger } from '@chat/logger';
import { ErrorCode, GROUPS, TOPICS } from '@chat/protocol';
import { RetryLaterError, withoutStack } from './retry-later';

/** The consumer groups whose backlog bounds what the gateways accept. */
export const PIPELINE_STAGES = [
  { group: GROUPS.persister, topics: [TOPICS.messages] },
  { group: GROUPS.notifier, topics: [TOPICS.stored] },
] as const;

/** Shortest and longest wait a refused sender is told to take before sending again. */
const MIN_RETRY_AFTER_MS = 100;
const MAX_RETRY_AFTER_MS = 5000;

/** `send_msg` refused because the pipeline is behind: 1004 with a hint of when to retry. */
export class PipelineBusyError extends RetryLaterError {
  constructor(retryAfterMs: number) {
    super(
      ErrorCode.TooManyRequests,
      'the server is busy; send again after retry_after_ms',
      retryAfterMs,
    );
    this.name = 'PipelineBusyError';
  }
}

export interface PipelineGateOptions {
  bus: Pick<Bus, 'backlog'>;
  /** `Gateway.MaxPipelineBacklog`: records behind past which sends are refused; 0: never. */
  maxBacklog: number;
  pollMs: number;
  log: Logger;
}

/**
 * Backpressure at the edge (docs/architecture.md, Guarantees: backpressure). What the gateways
 * accept must follow what the pipeline stores and delivers: otherwise acked messages queue
 * up behind the persister and notifier, delivery latency grows without bound, and with the
 * in-process bus the queue is this process's memory. The gate reads how far those groups
 * are behind every `pollMs` and, past `maxBacklog` records, refuses `send_msg` with 1004
 * and a `retry_after_ms` that grows with the backlog. A refused send was never accepted:
 * nothing is stored or pushed, and the client sends it again (with its `client_msg_id`).
 */
export class PipelineGate {
  private backlog = 0;
  private timer?: NodeJS.Timeout;
  private isStopped = false;
  private hasWarned = false;

  constructor(private readonly opts: PipelineGateOptions) {}

  /** Reads the backlog once, then keeps reading it until `stop`. */
  async start(): Promise<void> {
    if (this.opts.maxBacklog <= 0) return;
    await this.poll();
  }

  stop(): void {
    this.isStopped = true;
    clearTimeout(this.timer);
  }

  /** The backlog as last read, in records. */
  get behind(): number {
    return this.backlog;
  }

  /** Throws `PipelineBusyError` while the pipeline is further behind than allowed. */
  check(): void {
    const { maxBacklog } = this.opts;
    if (maxBacklog <= 0 || this.backlog <= maxBacklog) return;
    const retryAfterMs = Math.round(
      Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, (250 * this.backlog) / maxBacklog)),
    );
    // Refusals are what an overloaded gateway does most: no stack trace to capture.
    throw withoutStack(() => new PipelineBusyError(retryAfterMs));
  }

  private async poll(): Promise<void> {
    try {
      const counts = await Promise.all(
        PIPELINE_STAGES.map((s) => this.opts.bus.backlog(s.group, [...s.topics])),
      );
      this.backlog = counts.reduce((a, b) => a + b, 0);
      this.hasWarned = false;
    } catch (err) {
      // The last figure stands: a bus that cannot be read fails the sends themselves.
      if (!this.hasWarned) this.opts.log.warn({ err }, 'pipeline backlog not readable');
      this.hasWarned = true;
    }
    if (!this.isStopped) this.timer = setTimeout(() => void this.poll(), this.opts.pollMs);
  }
}
