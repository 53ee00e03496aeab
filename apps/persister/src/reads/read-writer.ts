import type { BusRecord } from '@chat/bus';
import type { CursorAdvance, ReadCursorRepository } from '@chat/db';
import type { Logger } from '@chat/logger';
import { batchFigures } from '@chat/runtime';
import { readRecordSchema } from '@chat/protocol';
import type { DeadLetters } from '@chat/runtime';

export interface ReadWriterDeps {
  cursors: Pick<ReadCursorRepository, 'advance'>;
  deadLetters: DeadLetters;
  log: Logger;
}

/**
 * Handles `chat.reads` batches (docs/data-model.md §2.5): one upsert per batch moving each cursor to
 * `GREATEST(current, last_read_msg_id)`, so replays and out-of-order records change
 * nothing. A reader that left the relation has no setting and is passed over (its cursor
 * went with the setting). Unreadable records and rows the database refuses go to
 * `chat.dead-letter` (`DeadLetters`) before the batch resolves.
 */
export class ReadWriter {
  constructor(private readonly deps: ReadWriterDeps) {}

  async handle(records: BusRecord[]): Promise<void> {
    const startedAt = Date.now();
    const { log, deadLetters } = this.deps;
    const { values, unreadable } = deadLetters.read(records, readRecordSchema);
    await deadLetters.send(unreadable);
    if (values.length === 0) return;

    const sourceOf = new Map<CursorAdvance, BusRecord>();
    const advances = values.map(({ value: r, record }) => {
      const advance = {
        accountId: r.reader_id,
        relationId: r.relation_id,
        lastReadMsgId: r.last_read_msg_id,
      };
      sourceOf.set(advance, record);
      return advance;
    });
    const result = await this.deps.cursors.advance(advances);
    await deadLetters.send(
      result.rejected.map((r) =>
        deadLetters.refused(sourceOf.get(r.item) as BusRecord, r, {
          accountId: r.item.accountId,
          relationId: r.item.relationId,
        }),
      ),
    );
    log.debug(
      {
        ...batchFigures(records, startedAt),
        moved: result.moved.length,
        rejected: result.rejected.length,
        unreadable: unreadable.length,
      },
      'read batch stored',
    );
  }
}
