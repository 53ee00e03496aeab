import { constraintOf, sqlState } from './sql';

/** One item the database refused, and why. */
export interface Rejected<T> {
  item: T;
  /** The SQLSTATE the database answered (class 22 or 23: `22021`, `23503`, …). */
  sqlState: string;
  /**
   * SQLSTATE, constraint and the server's detail line (`23503 message_relation_id_fkey: Key
   * (relation_id)=(7) is not present in table "relation".`): ids only, never the statement,
   * which carries every row of the batch.
   */
  reason: string;
}

function detailOf(err: unknown): string | undefined {
  for (
    let e = err as { detail?: unknown; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (typeof e.detail === 'string') return e.detail;
  }
  return undefined;
}

function describeRowError(err: unknown): string {
  const constraint = constraintOf(err);
  const detail = detailOf(err);
  return `${sqlState(err)}${constraint ? ` ${constraint}` : ''}${detail ? `: ${detail}` : ''}`;
}

/**
 * Whether `err` blames the data of the statement rather than the database: SQLSTATE class
 * 22 (data exception: a value out of range, malformed JSON) or 23 (integrity constraint: a
 * foreign key to a row that is gone, a failed check). Anything else (connection loss,
 * deadlock, a missing table, a full disk) says nothing about any one row, so no row may be
 * dropped for it.
 */
export function isRowError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'));
}

/**
 * Applies `attempt` to `items` (one transaction per call) so that rows the database refuses
 * cannot block the others: when a call fails with a row error, the items are split in two
 * halves, each applied in turn, down to single items, which are then reported as rejected.
 * The halves run in order, left before right, so whatever order `attempt` relies on (a
 * partition's order) is kept. A failed call leaves nothing behind (its transaction rolled
 * back), so `attempt` sees each item committed at most once. Other errors are thrown as
 * they are: the caller retries the whole batch. Costs O(k · log n) extra calls for k
 * refused rows among n.
 */
export async function isolateRejected<T, R>(
  items: T[],
  attempt: (items: T[]) => Promise<R[]>,
): Promise<{ results: R[]; rejected: Rejected<T>[] }> {
  const results: R[] = [];
  const rejected: Rejected<T>[] = [];
  const run = async (part: T[]): Promise<void> => {
    if (part.length === 0) return;
    try {
      results.push(...(await attempt(part)));
    } catch (err) {
      if (!isRowError(err)) throw err;
      if (part.length === 1) {
        rejected.push({
          item: part[0],
          sqlState: sqlState(err) as string,
          reason: describeRowError(err),
        });
        return;
      }
      const half = Math.ceil(part.length / 2);
      await run(part.slice(0, half));
      await run(part.slice(half));
    }
  };
  await run(items);
  return { results, rejected };
}
