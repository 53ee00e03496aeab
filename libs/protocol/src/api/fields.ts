import { z } from 'zod';

/** Largest id in JSON (docs/api.md §1.2, docs/data-model.md §1). */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

const codePoints = (s: string) => [...s].length;

/**
 * Why PostgreSQL could not store `s` exactly, or undefined when it can. A text column (and
 * a string inside jsonb) refuses U+0000 outright, and a lone UTF-16 surrogate has no UTF-8
 * form: the driver would write U+FFFD instead, so the row would differ from what was sent.
 * Every string of a request or frame passes this check before it reaches the domain, so
 * nothing accepted at the edge can be refused (or altered) on its way to the database.
 */
export function unstorableText(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain the character U+0000';
  // With the `u` flag a surrogate pair is one code point: only a lone half matches.
  if (/\p{Cs}/u.test(s)) return 'must be valid Unicode (it has a lone UTF-16 surrogate)';
  return undefined;
}

/**
 * A string that PostgreSQL stores exactly as sent (`unstorableText`): the primitive under
 * every string field of a request, a frame or a record field that reaches a text column.
 */
export function storableString(params?: Parameters<typeof z.string>[0]) {
  return z.string(params).superRefine((s, ctx) => {
    const problem = unstorableText(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/**
 * A string whose length is counted in Unicode code points (docs/api.md §1.2), as PostgreSQL's
 * `char_length` and `varchar(n)` count them, and which the database stores exactly
 * (`unstorableText`). Required strings must be non-empty, so `min` defaults to 1; `max`
 * must not exceed the column the field is stored in.
 */
export function text(min = 1, max?: number) {
  return z.string().superRefine((s, ctx) => {
    const problem = unstorableText(s);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return;
    }
    const n = codePoints(s);
    if (n < min) {
      ctx.addIssue({
        code: 'custom',
        message: min === 1 ? 'must not be empty' : `must be at least ${min} characters (got ${n})`,
      });
    } else if (max !== undefined && n > max) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${max} characters (got ${n})` });
    }
  });
}

/** An id in a JSON body: an integer in 1 … 2^53 − 1. */
export const id = z
  .number({ error: 'must be an integer id' })
  .int({ error: 'must be an integer id' })
  .min(1, { error: 'must be an id ≥ 1' })
  .max(MAX_ID, { error: 'must be a safe integer id' });

/**
 * An id written in decimal, as the query string and a form field carry it (docs/api.md §1.2):
 * 1–16 digits and nothing else, the first not 0. No sign, space, fraction, exponent or leading
 * zero, so every id has exactly one spelling; its value must still be at most 2^53 − 1.
 */
export const ID_DIGITS = /^[1-9]\d{0,15}$/;

const idDigits = z.string().regex(ID_DIGITS).transform(Number).pipe(id);

/**
 * An id wherever it may come from the query string (docs/api.md §1.2, §1.3): a query
 * parameter, a field of a route that merges the query string with its JSON body or form, and
 * so every id a DELETE route reads. A JSON integer as `id`, or a string of `ID_DIGITS`
 * converted to one. The one schema of every such id, so every route accepts and refuses the
 * same spellings.
 */
export const queryId = z.union([id, idDigits], {
  error: (issue) => (issue.input === undefined ? 'is required' : 'must be an integer id'),
});

/**
 * An optional `queryId`: absent, null, empty, 0 or "0" mean none and give 0; any other value
 * must be an id. `what` words the error (it names what 0 stands for).
 */
export function optionalQueryId(what: string) {
  return z
    .preprocess(
      (v) => (v === undefined || v === null || v === '' || v === '0' ? 0 : v),
      z.union([z.literal(0), id, idDigits], { error: what }),
    )
    .optional()
    .transform((v) => v ?? 0);
}

/** Email as docs/api.md gives it: valid address, at most 50 characters. */
export const email = storableString({ error: 'is required' })
  .max(50, { error: 'must be at most 50 characters' })
  .pipe(z.email({ error: 'is not a valid email address' }));

export const GENDERS = ['男', '女', '未知'] as const;
export const gender = z.enum(GENDERS, { error: 'must be one of 男, 女, 未知' });

/** Positive integer from a query string or JSON; anything else falls back (docs/api.md §1.3). */
function lenient(fallback: number) {
  return z.preprocess((v) => {
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
    return Number.isSafeInteger(n) && n > 0 ? n : fallback;
  }, z.number().int());
}

/**
 * Paging of docs/api.md §1.3: `page` ≤ 0 or non-numeric → 1; `page_size` ≤ 0 or non-numeric →
 * the default; larger than the maximum → the maximum. A `page` whose offset would pass
 * 2^53 − 1 rows becomes the last such page (empty either way).
 */
export function paging(defaultPageSize: number, maxPageSize: number) {
  // The row offset, (page − 1) × page_size, stays a safe integer and so a valid bigint:
  // a larger page is as empty as any page past the last row, so it is clamped here.
  const lastPage = Math.floor(MAX_ID / maxPageSize) + 1;
  return z.object({
    page: lenient(1)
      .optional()
      .transform((v) => Math.min(v ?? 1, lastPage)),
    page_size: lenient(defaultPageSize)
      .optional()
      .transform((v) => Math.min(v ?? defaultPageSize, maxPageSize)),
  });
}
