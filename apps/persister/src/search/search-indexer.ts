import type { BusRecord } from '@chat/bus';
import { contentGrams, type MessageSearchRepository, type SearchEntry } from '@chat/db';
import type { Logger } from '@chat/logger';
import { GroupCommit } from '@chat/runtime';
import { storedRecordSchema, type StoredRecord } from '@chat/protocol';
import type { DeadLetters } from '@chat/runtime';

export interface SearchIndexerDeps {
  search: Pick<MessageSearchRepository, 'index'>;
  /** Dead letters of group `indexer`. */
  deadLetters: DeadLetters;
  log: Logger;
}

/** The search entry of a stored text message (docs/data-model.md §3); null for a file message. */
export function toSearchEntry(stored: StoredRecord): SearchEntry | null {
  const m = stored.message;
  return m.msg_type === 'text'
    ? { messageId: m.id, relationId: m.relation_id, grams: contentGrams(m.msg_content) }
    : null;
}

/**
 * Handles `chat.stored` batches for group `indexer` (docs/data-model.md §3): writes the search grams
 * of every stored text message to `message_search`, a moment after the persister committed
 * the message. Keeping this GIN index out of the persister's transaction was two thirds of
 * a stored batch's time, and so of the delivery latency under load; search may find a
 * message a moment later instead (within a second in normal load).
 *
 * Redelivery is harmless: a message already indexed is left as it is, so a batch delivered
 * again, or a record the persister announced twice, changes nothing. A message deleted
 * before its record arrives is left out (`MessageSearchRepository.index`) and never blocks
 * the partition; an unreadable record goes to `chat.dead-letter` (`DeadLetters`) before the
 * batch resolves. Order does not matter here, so batches handed over together are simply
 * written together.
 */
export class SearchIndexer {
  private readonly commits = new GroupCommit<SearchEntry>((entries, batches) =>
    this.write(entries, batches),
  );

  constructor(private readonly deps: SearchIndexerDeps) {}

  /** Group commit (`GroupCommit`): batches handed over together are indexed in one statement. */
  async handle(records: BusRecord[]): Promise<void> {
    const { deadLetters } = this.deps;
    const { values, unreadable } = deadLetters.read(records, storedRecordSchema);
    const entries: SearchEntry[] = [];
    // `storedRecordSchema` checks the whole message: a record that passes is a text or a file.
    for (const { value: stored } of values) {
      const entry = toSearchEntry(stored);
      if (entry) entries.push(entry);
    }
    await deadLetters.send(unreadable);
    await this.commits.add(entries);
  }

  private async write(entries: SearchEntry[], batches: number): Promise<void> {
    const startedAt = Date.now();
    const indexed = await this.deps.search.index(entries);
    const { log } = this.deps;
    if (log.isLevelEnabled('debug')) {
      log.debug(
        { entries: entries.length, batches, indexed, ms: Date.now() - startedAt },
        'search entries indexed',
      );
    }
  }
}
