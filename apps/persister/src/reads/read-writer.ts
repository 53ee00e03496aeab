import type { BusRecord } from '@chat/bus';
import type { ReadCursorRepository } from '@chat/db';
import type { Logger } from '@chat/logger';
import { batchFigures, readBatch } from '@chat/runtime';
import { parseRecord, readRecordSchema } from '@chat/protocol';

export interface ReadWriterDeps {
  cursors: Pick<ReadCursorRepository, 'advance'>;
  log: Logger;
}

/**
 * Handles `chat.reads` batches (DATA.md §2.5): one upsert per batch moving each cursor to
 * `GREATEST(current, last_read_msg_id)`, so replays and out-of-order records change
 * nothing. A reader that left the relation has no setting and is skipped; unreadable
 * records and rows the database refuses are logged, counted and skipped.
 */
export class ReadWriter {
  private skipped = 0;

  constructor(private readonly deps: ReadWriterDeps) {}

  /** Records skipped so far (unreadable or refused), for logs and tests. */
  get skippedCount(): number {
    return this.skipped;
  }

  async handle(records: BusRecord[]): Promise<void> {
    const startedAt = Date.now();
    const { log } = this.deps;
    const reads = readBatch(
      records,
      (value) => parseRecord(readRecordSchema, value),
      (at) => log.warn({ ...at, skipped: ++this.skipped }, 'unreadable read record skipped'),
    );
    if (reads.length === 0) return;

    const result = await this.deps.cursors.advance(
      reads.map((r) => ({
        accountId: r.reader_id,
        relationId: r.relation_id,
        lastReadMsgId: r.last_read_msg_id,
      })),
    );
    for (const { item, reason } of result.rejected) {
      this.skipped++;
      log.warn(
        { reason, accountId: item.accountId, relationId: item.relationId, skipped: this.skipped },
        'read cursor refused by the database, skipped',
      );
    }
    log.debug(
      {
        ...batchFigures(records, startedAt),
        moved: result.moved.length,
        rejected: result.rejected.length,
        unreadable: records.length - reads.length,
      },
      'read batch stored',
    );
  }
}
