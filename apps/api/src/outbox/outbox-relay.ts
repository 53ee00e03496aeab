import type { OutgoingRecord } from '@chat/bus';
import type { OutboxRepository, OutboxRow } from '@chat/db';
import type { Logger } from '@chat/logger';
import type { Registry } from '@chat/runtime';
import { Counter } from 'prom-client';

export interface OutboxRelayOptions {
  outbox: Pick<OutboxRepository, 'relay'>;
  /** The bus: Kafka in the distributed topology, the in-process bus in the one-process server. */
  bus: { publishMany(records: OutgoingRecord[]): Promise<void> };
  /**
   * Several api processes may relay this database: steps take turns under the outbox's
   * advisory lock (`OutboxRepository.relay`). False only where this is the one api.
   */
  exclusive: boolean;
  /** Most records per step (`Outbox.BatchSize`). */
  batchSize: number;
  /** Look at the outbox this often without a nudge (`Outbox.PollInterval`). */
  pollMs: number;
  /** Wait after a failed step, doubled per failure up to `MAX_BACKOFF_MS` (`Auto.Retry.Duration`). */
  retryDelayMs: number;
  /** Test only (`Outbox.HoldRelay`): publish nothing, leave every record in the outbox. */
  hold: boolean;
  /** Where the relay's counters go (`chat_outbox_*`). */
  metrics?: Registry;
  log: Logger;
}

/** Ceiling of the wait between failed steps (a long bus outage). */
const MAX_BACKOFF_MS = 30_000;
/** Wait before trying again while another process's relay holds the outbox. */
const LOCKED_RETRY_MS = 20;

interface Waiter {
  /** Steps started before the waiter came; only a later drained pass settles it. */
  afterPass: number;
  settle(published: boolean): void;
}

/**
 * Publishes the outbox to the bus (docs/architecture.md, guarantees: events after commit,
 * through an outbox): at least once, oldest record first, so records of one key keep the
 * order they were committed in; a record is deleted only after the bus accepted it. A
 * commit nudges the relay at once; a poll every `pollMs` picks up what other processes
 * left behind (an api killed between its commit and its publish); a failed step is retried
 * with backoff while the records wait. Consumers see a record twice when a publish
 * succeeded and the relay died before deleting it: each record carries the id it was
 * written with, which is how they recognise it.
 */
export class OutboxRelay {
  private stopping = false;
  private nudged = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  /** Drain passes started so far. */
  private passes = 0;
  private failures = 0;
  /** The last step found the outbox held by another process's relay. */
  private lockedOut = false;
  private readonly waiters = new Set<Waiter>();
  private readonly published?: Counter;
  private readonly failed?: Counter;

  constructor(private readonly o: OutboxRelayOptions) {
    if (o.metrics) {
      this.published = new Counter({
        name: 'chat_outbox_published_total',
        help: 'Outbox records this api published to the bus.',
        registers: [o.metrics],
      });
      this.failed = new Counter({
        name: 'chat_outbox_relay_failures_total',
        help: 'Relay steps that failed (bus or database); their records stay and are retried.',
        registers: [o.metrics],
      });
    }
  }

  /** Starts relaying: first whatever the outbox holds already (left by a stopped api). */
  start(): void {
    if (this.o.hold) {
      this.o.log.warn('outbox relay held (Outbox.HoldRelay, a test setting): nothing is published');
    }
    this.nudged = true;
    this.running ??= this.loop();
  }

  /** A commit wrote records: relay them now rather than at the next poll. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  /**
   * Resolves true once a pass that started after this call emptied the outbox, so every
   * record committed before the call has been published (by this relay or another
   * process's); false after `timeoutMs`, or at once while the relay is held or stopping.
   */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.o.hold || this.stopping || !this.running) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        afterPass: this.passes,
        settle: (published) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(published);
        },
      };
      const timer = setTimeout(() => waiter.settle(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /**
   * Stops after a last pass over the outbox, so what the last requests committed goes out
   * now rather than with the next api to start. Safe to call twice.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    for (const waiter of [...this.waiters]) waiter.settle(false);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (!this.nudged) await this.sleep(this.nextWaitMs());
      this.nudged = false;
      if (this.stopping) break;
      if (!this.o.hold) await this.drain();
    }
    if (!this.o.hold) await this.drain();
  }

  private nextWaitMs(): number {
    if (this.failures > 0) {
      return Math.min(this.o.retryDelayMs * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
    }
    if (this.lockedOut && this.waiters.size > 0) return LOCKED_RETRY_MS;
    return this.o.pollMs;
  }

  /** Steps until the outbox is empty, another relay holds it, or a step fails. */
  private async drain(): Promise<void> {
    const pass = ++this.passes;
    for (;;) {
      let published: number;
      try {
        const step = await this.o.outbox.relay(this.o.batchSize, (rows) => this.publish(rows), {
          exclusive: this.o.exclusive,
        });
        this.failures = 0;
        this.lockedOut = !step.locked;
        if (!step.locked) return;
        published = step.published;
      } catch (err) {
        this.failures++;
        this.failed?.inc();
        this.o.log.warn(
          { err, failures: this.failures },
          'outbox relay step failed; the records stay and are retried',
        );
        return;
      }
      this.published?.inc(published);
      if (published < this.o.batchSize) break;
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.afterPass < pass) waiter.settle(true);
    }
  }

  private publish(rows: OutboxRow[]): Promise<void> {
    return this.o.bus.publishMany(rows.map(({ topic, key, value }) => ({ topic, key, value })));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
