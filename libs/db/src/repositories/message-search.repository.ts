import type { EntityManager } from '@mikro-orm/postgresql';
import { toTextArrayLiteral } from '../types/text-array.type';
import { bigintArray, boundCount, FOREIGN_KEY_VIOLATION, sqlState, unexpected } from './sql';

/** One text message to make searchable (docs/data-model.md §3). */
export interface SearchEntry {
  messageId: number;
  /** The message's relation (searches narrow by it before they join `message`). */
  relationId: number;
  /** `contentGrams(msgContent)`. */
  grams: string[];
}

/**
 * One multi-row insert for the whole batch, each column one array literal (the grams as a
 * text[] of array literals, cast per row), so the statement is the same for 1 or 1000 rows.
 * A message already indexed is left as it is (`ON CONFLICT DO NOTHING`: a redelivery changes
 * nothing), and one that is gone (deleted with its relation before the indexer came) is
 * left out instead of failing the foreign key and with it the batch. Rows go in id order,
 * so two indexers never wait on each other's rows in opposite orders.
 */
const INDEX = `
insert into message_search (message_id, relation_id, grams)
select u.message_id, u.relation_id, u.grams::text[]
from unnest(?::bigint[], ?::bigint[], ?::text[]) as u(message_id, relation_id, grams)
where exists (select 1 from message m where m.id = u.message_id)
order by u.message_id
on conflict do nothing`;

/**
 * A message deleted between the statement's look at `message` and its foreign-key check
 * fails the insert; the next attempt no longer sees it. More failures than this mean
 * something else is wrong.
 */
const ATTEMPTS = 3;

/**
 * Writes the search index of messages (docs/data-model.md §3) for the indexer, the consumer of
 * `chat.stored` that keeps the index off the persister's transaction: a message becomes
 * searchable a moment after it is stored. Idempotent.
 */
export class MessageSearchRepository {
  constructor(private readonly root: EntityManager) {}

  /**
   * Indexes `entries` in one statement (no transaction needed) and returns how many rows it
   * added: entries already indexed, repeated within the batch or whose message is gone add
   * none. Database errors are thrown as an `InfrastructureError` (retryable when a retry can
   * succeed), and nothing of the batch is left behind.
   */
  async index(entries: SearchEntry[]): Promise<number> {
    const unique = [...new Map(entries.map((e) => [e.messageId, e])).values()];
    if (unique.length === 0) return 0;
    const params = [
      bigintArray(unique.map((e) => e.messageId)),
      bigintArray(unique.map((e) => e.relationId)),
      toTextArrayLiteral(unique.map((e) => toTextArrayLiteral(e.grams))),
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        return await boundCount(this.root.fork(), INDEX, params);
      } catch (err) {
        if (sqlState(err) === FOREIGN_KEY_VIOLATION && attempt < ATTEMPTS) continue;
        unexpected('indexing messages for search', err);
      }
    }
  }
}
