import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { InfrastructureError } from '@chat/protocol';

/** Runs raw SQL (positional `?` parameters, inlined by MikroORM) and returns its rows. */
export async function rows<T>(
  em: EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return (await em.getConnection().execute(sql, params, 'all', em.getTransactionContext())) as T[];
}

/** A value `bound` sends as a parameter. */
export type BoundValue = string | number | boolean | null;

/**
 * Runs raw SQL whose `?` values travel as bound parameters, in the entity manager's
 * transaction when it has one. For the batch statements of the message path: MikroORM's
 * `execute` inlines every value into the statement text, which for a batch of a thousand
 * messages is a large escaped literal built in JavaScript and parsed again by Postgres
 * (issue 10). Each value must be a scalar (array literals as strings, `?::bigint[]`): a
 * JavaScript array is not expanded into a list here, as `rows` does.
 */
async function bound(
  em: EntityManager,
  sql: string,
  params: BoundValue[],
): Promise<{ rows: unknown[]; rowCount: number }> {
  const raw = em.getConnection().getKnex().raw(sql, params);
  const trx = em.getTransactionContext<Knex.Transaction>();
  if (trx) raw.transacting(trx);
  const result = (await raw) as { rows: unknown[]; rowCount: number | null };
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

/** `bound`, returning the rows. */
export async function boundRows<T>(
  em: EntityManager,
  sql: string,
  params: BoundValue[],
): Promise<T[]> {
  return (await bound(em, sql, params)).rows as T[];
}

/** `bound`, returning how many rows the statement changed. */
export async function boundCount(
  em: EntityManager,
  sql: string,
  params: BoundValue[],
): Promise<number> {
  return (await bound(em, sql, params)).rowCount;
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
