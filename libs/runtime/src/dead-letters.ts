import type { Bus, BusRecord, OutgoingRecord } from '@chat/bus';
import type { Logger } from '@chat/logger';
import { DEAD_LETTER_HEADERS, TOPICS, type DeadLetterReason } from '@chat/protocol';
import { Counter, type Registry } from 'prom-client';
import type { z } from 'zod';
import { readRecords, type ReadValue } from './batches';

/** One record given up, with why. */
export interface DeadLetter {
  /** The record as it was read. */
  record: BusRecord;
  reason: DeadLetterReason;
  /** The database's SQLSTATE when it refused the record. */
  sqlState?: string;
  /** What went wrong: the constraint and ids, or the parse error (no message content). */
  detail: string;
  /** Ids that name the record in the log line (`msgId`, `relationId`, …). */
  ids?: Record<string, number>;
}

/** Longest `detail` kept in a header and the log line. */
const MAX_DETAIL = 300;

function describe(err: unknown): string {
  const issues = (err as Partial<z.ZodError> | undefined)?.issues;
  const text = Array.isArray(issues)
    ? issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')
    : err instanceof Error
      ? err.message
      : String(err);
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

/**
 * The dead-letter topic of a worker (docs/architecture.md, Guarantees): a record it read but
 * cannot handle (unreadable, or refused by the database) is never skipped silently. It goes
 * to `chat.dead-letter` unchanged (same key, same bytes) with headers saying where it came
 * from and why (`DEAD_LETTER_HEADERS`), durably, before its batch's offsets are committed;
 * then it is counted in `chat_dead_letter_records_total{group, topic, reason, sql_state}`
 * and logged at error level with its key, position and SQLSTATE. A publish that fails
 * fails the batch, which is then delivered again: nothing is given up unrecorded. Used by
 * the persister, the search indexer and the notifier.
 */
export class DeadLetters {
  private readonly counter: Counter<'group' | 'topic' | 'reason' | 'sql_state'>;

  constructor(
    private readonly deps: {
      bus: Pick<Bus, 'publishMany'>;
      /** The consumer group whose records these are (`persister`, `indexer`, `notifier`). */
      group: string;
      metrics: Registry;
      log: Logger;
    },
  ) {
    this.counter =
      (deps.metrics.getSingleMetric('chat_dead_letter_records_total') as
        Counter<'group' | 'topic' | 'reason' | 'sql_state'> | undefined) ??
      new Counter({
        name: 'chat_dead_letter_records_total',
        help: 'Records given up and sent to chat.dead-letter, by group, source topic, reason (unreadable, refused) and SQLSTATE.',
        labelNames: ['group', 'topic', 'reason', 'sql_state'],
        registers: [deps.metrics],
      });
  }

  /**
   * The values of a batch that `schema` accepts, each with its record, in order, and a
   * dead letter for each record that is not one (not JSON, or not of the contract).
   */
  read<T>(
    records: BusRecord[],
    schema: z.ZodType<T>,
  ): { values: ReadValue<T>[]; unreadable: DeadLetter[] } {
    const { values, unreadable } = readRecords(records, schema);
    return { values, unreadable: unreadable.map((u) => this.unreadable(u.record, u.error)) };
  }

  /** A dead letter for a record that is not of its topic's contract. */
  unreadable(record: BusRecord, err: unknown, ids?: Record<string, number>): DeadLetter {
    return { record, reason: 'unreadable', detail: describe(err), ids };
  }

  /** A dead letter for a record the database refused (`Rejected` of `@chat/db`). */
  refused(
    record: BusRecord,
    rejected: { sqlState: string; reason: string },
    ids?: Record<string, number>,
  ): DeadLetter {
    return {
      record,
      reason: 'refused',
      sqlState: rejected.sqlState,
      detail: describe(rejected.reason),
      ids,
    };
  }

  /** The `chat.dead-letter` records of `letters`, to publish with a batch's other output. */
  outgoing(letters: DeadLetter[]): OutgoingRecord[] {
    const at = new Date().toISOString();
    return letters.map(({ record, reason, sqlState, detail }) => ({
      topic: TOPICS.deadLetter,
      key: record.key,
      value: record.value,
      headers: {
        ...record.headers,
        [DEAD_LETTER_HEADERS.topic]: record.topic,
        [DEAD_LETTER_HEADERS.partition]: String(record.partition),
        [DEAD_LETTER_HEADERS.offset]: record.offset,
        [DEAD_LETTER_HEADERS.group]: this.deps.group,
        [DEAD_LETTER_HEADERS.reason]: reason,
        ...(sqlState ? { [DEAD_LETTER_HEADERS.sqlState]: sqlState } : {}),
        [DEAD_LETTER_HEADERS.detail]: detail,
        [DEAD_LETTER_HEADERS.at]: at,
      },
    }));
  }

  /** Counts and logs `letters` once the bus holds them (`outgoing`, published). */
  published(letters: DeadLetter[]): void {
    for (const { record, reason, sqlState, detail, ids } of letters) {
      this.counter.inc({
        group: this.deps.group,
        topic: record.topic,
        reason,
        sql_state: sqlState ?? '',
      });
      this.deps.log.error(
        {
          deadLetter: TOPICS.deadLetter,
          group: this.deps.group,
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          key: record.key,
          reason,
          sqlState,
          detail,
          ...ids,
        },
        reason === 'refused'
          ? 'record refused by the database, sent to the dead-letter topic'
          : 'unreadable record, sent to the dead-letter topic',
      );
    }
  }

  /** Publishes `letters` on their own (durably), then counts and logs them. */
  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.deps.bus.publishMany(this.outgoing(letters));
    this.published(letters);
  }
}
