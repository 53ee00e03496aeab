import type { OutboxBacklog, OutboxRepository } from '@chat/db';
import type { Registry } from '@chat/runtime';
import { Gauge } from 'prom-client';

/** Bound on the backlog query of one scrape, as on the other checks of the ops endpoints. */
const READ_TIMEOUT_MS = 2000;

/**
 * `chat_outbox_records` (records committed and not yet published) and
 * `chat_outbox_oldest_record_age_seconds` (how long the oldest has waited), read from the
 * database at each scrape with one query. They are the same for every api on a database:
 * a growing age means no relay is publishing (the bus is down, or every api is). A scrape
 * that cannot read the outbox leaves both out rather than reporting stale figures.
 */
export function registerOutboxBacklog(
  registry: Registry,
  outbox: Pick<OutboxRepository, 'backlog'>,
): void {
  // One query per scrape: the first gauge reads, the second takes that reading.
  let reading: Promise<OutboxBacklog | undefined> | undefined;
  new Gauge({
    name: 'chat_outbox_records',
    help: 'Outbox records committed and not yet published to the bus.',
    registers: [registry],
    async collect() {
      this.reset();
      reading = withTimeout(outbox.backlog(), READ_TIMEOUT_MS);
      const backlog = await reading;
      if (backlog) this.set(backlog.rows);
    },
  });
  new Gauge({
    name: 'chat_outbox_oldest_record_age_seconds',
    help: 'Age of the oldest outbox record not yet published; 0 when none waits.',
    registers: [registry],
    async collect() {
      this.reset();
      const backlog = await (reading ?? withTimeout(outbox.backlog(), READ_TIMEOUT_MS));
      reading = undefined;
      if (backlog) this.set(backlog.oldestAgeMs / 1000);
    },
  });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([work.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}
