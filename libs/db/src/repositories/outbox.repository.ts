import type { EntityManager } from '@mikro-orm/postgresql';
import { bigintArray, boundCount, boundRows, rows } from './sql';
import { joinWork } from './unit-of-work';

/** A bus record as the outbox keeps it until the relay has published it. */
export interface OutboxRecord {
  topic: string;
  /** Partition key: records of one key are published in the order they were written. */
  key: string;
  /** The record's value as it goes on the bus (JSON text). */
  value: string;
}

export interface OutboxRow extends OutboxRecord {
  /** Position in the outbox: rows are published in id order. */
  id: number;
}

/**
 * What one relay step did: `locked` false when another process's relay held the outbox
 * (nothing was read), else how many rows it published and deleted.
 */
export type RelayStep = { locked: false } | { locked: true; published: number };

export interface OutboxBacklog {
  /** Rows written and not yet published. */
  rows: number;
  /** Age of the oldest of them in milliseconds; 0 when there is none. */
  oldestAgeMs: number;
}

/**
 * Key of the transaction-level advisory lock that makes relays of several api processes
 * take turns on the outbox. Any constant unique in this database's advisory-lock space:
 * these are the bytes of "outbox" read as an integer.
 */
const RELAY_LOCK_KEY = 0x6f7574626f78;

interface RawRow {
  id: string;
  topic: string;
  key: string;
  value: string;
}

/**
 * The transactional outbox (the `outbox` table): bus records written in the transaction of
 * the change that causes them, then published by a relay, at least once and in order.
 */
export class OutboxRepository {
  constructor(private readonly root: EntityManager) {}

  /**
   * Adds records to the transaction the caller holds open (`inTransaction`), so they commit
   * with the change or not at all. Refuses to write outside a transaction: a record written
   * on its own could be published for a change that then rolls back, or lost with it.
   */
  async append(records: OutboxRecord[]): Promise<void> {
    if (!records.length) return;
    const em = joinWork(this.root);
    if (!em.getTransactionContext()) {
      throw new Error('outbox: records are written inside the transaction of their change');
    }
    const params = records.flatMap((r) => [r.topic, r.key, r.value]);
    await boundCount(
      em,
      `insert into outbox (topic, key, value) values ${records.map(() => '(?, ?, ?)').join(', ')}`,
      params,
    );
  }

  /**
   * One relay step: the `limit` oldest rows go to `publish` in id order and are deleted
   * once it resolves; when it throws they stay for the next step. So every row is published
   * at least once and in id order; a retried step may repeat rows a failed publish had
   * already sent, in the same order.
   *
   * `exclusive` (several processes relay one database): the step runs in a transaction
   * holding an advisory lock, so relays take turns and each publishes the oldest rows left;
   * another relay's step in progress answers `locked: false` at once. A relay that dies
   * mid-step releases the lock with its connection, its rows still there. Without
   * `exclusive` (one relay per database, the one-process server on its embedded database)
   * no transaction is held while publishing: there, a publish waits for the persister,
   * whose writes share the embedded database's one session.
   */
  async relay(
    limit: number,
    publish: (rows: OutboxRow[]) => Promise<void>,
    { exclusive }: { exclusive: boolean },
  ): Promise<RelayStep> {
    const step = async (em: EntityManager): Promise<RelayStep> => {
      const batch = (
        await boundRows<RawRow>(
          em,
          'select id, topic, key, value from outbox order by id limit ?',
          [limit],
        )
      ).map((r) => ({ id: Number(r.id), topic: r.topic, key: r.key, value: r.value }));
      if (batch.length) {
        await publish(batch);
        // By id, not by range: a row of a transaction that committed after the read above
        // may have an id inside this batch's range, and it has not been published.
        await boundCount(em, 'delete from outbox where id = any(?::bigint[])', [
          bigintArray(batch.map((r) => r.id)),
        ]);
      }
      return { locked: true, published: batch.length };
    };
    if (!exclusive) return step(this.root.fork());
    return this.root.fork().transactional(async (em) => {
      const [lock] = await rows<{ locked: boolean }>(
        em,
        'select pg_try_advisory_xact_lock(?) as locked',
        [RELAY_LOCK_KEY],
      );
      if (!lock?.locked) return { locked: false } as const;
      return step(em);
    });
  }

  /** Rows waiting and the age of the oldest, for the relay's metrics. */
  async backlog(): Promise<OutboxBacklog> {
    const [r] = await rows<{ rows: string; oldest_age_ms: string | number | null }>(
      this.root.fork(),
      `select count(*) as rows,
              extract(epoch from clock_timestamp() - min(create_at)) * 1000 as oldest_age_ms
         from outbox`,
    );
    return {
      rows: Number(r?.rows ?? 0),
      oldestAgeMs: Math.max(0, Math.round(Number(r?.oldest_age_ms ?? 0))),
    };
  }
}
