import type { EntityManager } from '@mikro-orm/postgresql';
import { InfrastructureError } from '@chat/protocol';

/** Runs raw SQL (positional `?` parameters) and returns its rows. */
export async function rows<T>(
  em: EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return (await em.getConnection().execute(sql, params, 'all', em.getTransactionContext())) as T[];
}

/** Runs a raw SQL write (positional `?` parameters) and returns how many rows it changed. */
export async function affected(
  em: EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<number> {
  const result = (await em
    .getConnection()
    .execute(sql, params, 'run', em.getTransactionContext())) as { affectedRows?: number };
  return result.affectedRows ?? 0;
}

/** `{1,NULL,3}`: a bigint[] literal (the numbers are safe integers), for `?::bigint[]`. */
export function bigintArray(values: (number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;
}

/** Postgres' SQLSTATE of a driver error, found on the error or its causes. */
export function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/** The constraint a violation names (`account_user_id_name_key`), if any. */
export function constraintOf(err: unknown): string | undefined {
  for (
    let e = err as { constraint?: unknown; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (typeof e.constraint === 'string') return e.constraint;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';
/**
 * PostgreSQL 18 (and so PGlite) reports a violated `ON DELETE RESTRICT` with this SQLSTATE
 * instead of 23503; earlier versions use 23503 for both.
 */
export const RESTRICT_VIOLATION = '23001';

/** Wraps what is not a known, expected violation: the caller sees a 1003 with the cause kept. */
export function unexpected(what: string, err: unknown): never {
  if (err instanceof InfrastructureError) throw err;
  throw new InfrastructureError(`database: ${what} failed`, err, isTransient(err));
}

/** Connection loss, serialization failures and deadlocks can succeed when retried. */
function isTransient(err: unknown): boolean {
  const state = sqlState(err);
  return state === undefined || state.startsWith('08') || state === '40001' || state === '40P01';
}
