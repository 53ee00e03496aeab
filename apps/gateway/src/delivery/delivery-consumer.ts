import type { BusRecord } from '@chat/bus';
import { DeliverySources } from '@chat/domain';
import type { Logger } from '@chat/logger';
import { deliveryRecordSchema, parseRecord, type DeliveryRecord } from '@chat/protocol';
import type { LocalSockets } from '../sockets/local-sockets';

/**
 * Writes the records of this node's delivery topic to its sockets (docs/architecture.md: the
 * notifier routes each push to the gateway holding the socket): the frame to every local
 * socket of the listed accounts except `exclude_conn`, then the close, if any (4403 for a
 * deleted account, docs/protocol.md §2.2). Pushes are best effort (docs/protocol.md §5): a record that
 * cannot be read is logged and skipped, never retried, and records appended before this
 * process started are skipped, so a restarted node never replays old pushes to new sockets.
 *
 * Pushes are at most once per connection, in two ways. A batch whose offsets could not be
 * committed (the broker went away after the frames were written) comes back when the
 * consumer rejoins, and its records are skipped by offset: this node's delivery group has
 * this process as its one member, so the highest offset written per partition, kept in
 * memory, is exact. And a notifier that died after publishing, before committing, has its
 * records planned and published again by another: those delivery records are new offsets
 * naming the same `source`, skipped by `DeliverySources`. So a notifier's crash neither
 * loses a push nor repeats one.
 */
export class DeliveryConsumer {
  /** Per partition of the delivery topic, the highest offset whose frames were written. */
  private readonly delivered = new Map<number, bigint>();
  private readonly sources = new DeliverySources();

  constructor(
    private readonly sockets: LocalSockets,
    private readonly startedAt: number,
    private readonly log: Logger,
  ) {}

  async handle(records: BusRecord[]): Promise<void> {
    for (const record of records) {
      const offset = BigInt(record.offset);
      const done = this.delivered.get(record.partition);
      if (done !== undefined && offset <= done) continue;
      this.delivered.set(record.partition, offset);
      if (record.timestamp < this.startedAt) continue;
      const parsed = parseRecord(deliveryRecordSchema, record.value);
      if (!parsed.ok) {
        this.log.warn(
          { err: parsed.error, offset: record.offset, partition: record.partition },
          'delivery skipped',
        );
        continue;
      }
      const { source } = parsed.value;
      if (source && !this.sources.advance(record.partition, source)) continue;
      try {
        this.deliver(parsed.value);
      } catch (err) {
        this.log.warn(
          { err, offset: record.offset, partition: record.partition },
          'delivery skipped',
        );
      }
    }
  }

  private deliver(delivery: DeliveryRecord): void {
    const text = JSON.stringify({ event: delivery.frame.event, data: delivery.frame.data });
    const accounts = [...new Set(delivery.accounts)];
    for (const accountId of accounts) {
      for (const conn of this.sockets.ofAccount(accountId)) {
        if (conn.connId !== delivery.exclude_conn) conn.send(text);
      }
    }
    if (!delivery.close) return;
    for (const accountId of accounts) {
      for (const conn of this.sockets.ofAccount(accountId)) {
        conn.close(delivery.close.code, delivery.close.reason);
      }
    }
  }
}
