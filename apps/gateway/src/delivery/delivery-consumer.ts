import type { BusRecord } from '@chat/bus';
import type { Logger } from '@chat/logger';
import type { DeliveryRecord } from '@chat/protocol';
import { z } from 'zod';
import type { LocalSockets } from '../sockets/local-sockets';

/** A `push.<node>` record as this gateway trusts it: checked, since a bad one is skipped. */
const deliverySchema = z.object({
  accounts: z.array(z.number().int().positive()),
  exclude_conn: z.string().optional(),
  frame: z.object({ event: z.string().min(1), data: z.unknown() }),
  close: z
    .object({ code: z.number().int().min(1000).max(4999), reason: z.string().max(120) })
    .optional(),
});

/**
 * Writes the records of this node's delivery topic to its sockets (docs/architecture.md: the
 * notifier routes each push to the gateway holding the socket): the frame to every local
 * socket of the listed accounts except `exclude_conn`, then the close, if any (4403 for a
 * deleted account, docs/protocol.md §2.2). Pushes are best effort (docs/protocol.md §5): a record that
 * cannot be read is logged and skipped, never retried, and records appended before this
 * process started are skipped, so a restarted node never replays old pushes to new sockets.
 *
 * Pushes are at most once per connection: a batch whose offsets could not be committed (the
 * broker went away after the frames were written) comes back when the consumer rejoins, and
 * its records are skipped by offset. This node's delivery group has this process as its one
 * member, so the highest offset written per partition, kept in memory, is exact.
 */
export class DeliveryConsumer {
  /** Per partition of the delivery topic, the highest offset whose frames were written. */
  private readonly delivered = new Map<number, bigint>();

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
      try {
        if (record.timestamp < this.startedAt) continue;
        this.deliver(deliverySchema.parse(JSON.parse(record.value.toString('utf8'))));
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
