import { randomUUID } from 'node:crypto';
import type { MembershipCache } from '@chat/cache';
import { inTransaction, type Database, type OutboxRecord, type OutboxRepository } from '@chat/db';
import type { Outbox, UnitOfWork } from '@chat/domain';
import type { Logger } from '@chat/logger';
import { TOPICS, type ChatEvent, type PresenceChangedRecord } from '@chat/protocol';
import type { OutboxRelay } from './outbox-relay';

export interface OutboxUnitOfWorkDeps {
  db: Pick<Database, 'em'>;
  outbox: Pick<OutboxRepository, 'append'>;
  relay: Pick<OutboxRelay, 'nudge' | 'settled'>;
  /** The shared membership cache (Redis in production), the one the gateways read. */
  membership: Pick<MembershipCache, 'invalidate'>;
  /** How long a call waits for its records to be published (`Outbox.PublishWait`). */
  publishWaitMs: number;
  log: Logger;
}

/**
 * The api's unit of work (the transactional outbox): `work` runs in one database
 * transaction, the repositories it calls join it, and the bus records it causes are
 * written to the outbox in that same transaction, stamped once (event id and time, the
 * message's own id) so a record published twice is recognisably the same. After the
 * commit it nudges the relay and waits up to `publishWaitMs` for the records to be
 * published: in the normal case a client that acts on the answer finds the pushes and the
 * system message ahead of it, as when the api published them itself; when the bus is slow
 * or down, the call answers anyway and the records follow from the outbox.
 *
 * Membership changes (a member quits or is removed, a group dissolved, a friend deleted,
 * an account deleted) must stop a former member's sends at once. The gateways authorise a
 * `send_msg` from the shared membership cache behind an in-process front, with no query on
 * the hot path. So after the commit and before answering, this drops the changed relations
 * from the shared cache, which moves each relation's membership version; every gateway
 * compares the version of the list in its front with that one on each check, so from the
 * answer on, a former member is refused everywhere, however late the relayed event is. The
 * event's `effects.membershipChanged`, relayed from the outbox, then clears every gateway's
 * front (and the shared cache again, in case this invalidation failed). The other way,
 * the persister checking membership again per message, would put a query on every batch of
 * the message path, and could only drop a message already acked.
 */
export class OutboxUnitOfWork implements UnitOfWork {
  constructor(private readonly d: OutboxUnitOfWorkDeps) {}

  async run<T>(work: (outbox: Outbox) => Promise<T>): Promise<T> {
    const records: OutboxRecord[] = [];
    const membershipChanged = new Set<number>();
    const outbox: Outbox = {
      events: (drafts) => {
        const at = new Date().toISOString();
        for (const { key, ...draft } of drafts) {
          const event: ChatEvent = { id: randomUUID(), at, ...draft };
          for (const id of draft.effects?.membershipChanged ?? []) membershipChanged.add(id);
          records.push({ topic: TOPICS.events, key, value: JSON.stringify(event) });
        }
      },
      message: (record) => {
        records.push({
          topic: TOPICS.messages,
          key: String(record.relation_id),
          value: JSON.stringify(record),
        });
      },
      presence: (accountId) => {
        const record: PresenceChangedRecord = { account_id: accountId };
        records.push({
          topic: TOPICS.presence,
          key: String(accountId),
          value: JSON.stringify(record),
        });
      },
    };
    const result = await inTransaction(this.d.db.em, async () => {
      const value = await work(outbox);
      await this.d.outbox.append(records);
      return value;
    });
    if (!records.length) return result;
    if (membershipChanged.size) await this.invalidate([...membershipChanged]);
    this.d.relay.nudge();
    await this.d.relay.settled(this.d.publishWaitMs);
    return result;
  }

  /**
   * A failure is logged, not thrown: the change is committed, and the relayed event drops
   * the same relations from the cache as soon as the bus takes it.
   */
  private async invalidate(relationIds: number[]): Promise<void> {
    try {
      await this.d.membership.invalidate(relationIds);
    } catch (err) {
      this.d.log.error(
        { err, relationIds },
        'membership cache not invalidated; the relayed event will do it',
      );
    }
  }
}
