import { z } from 'zod';

/** Largest id in JSON (API.md §1.2, DATA.md §1). */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

const codePoints = (s: string) => [...s].length;

/**
 * A string whose length is counted in Unicode code points (API.md §1.2). Required strings
 * must be non-empty, so `min` defaults to 1.
 */
export function text(min = 1, max?: number) {
  return z.string().superRefine((s, ctx) => {
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

/** An id in the query string: digits only, converted to a number. */
export const queryId = z
  .string({ error: 'is required' })
  .regex(/^\d{1,16}$/, { error: 'must be an integer id' })
  .transform(Number)
  .pipe(id);

/** Email as API.md gives it: valid address, at most 50 characters. */
export const email = z
  .string({ error: 'is required' })
  .max(50, { error: 'must be at most 50 characters' })
  .pipe(z.email({ error: 'is not a valid email address' }));

export const GENDERS = ['男', '女', '未知'] as const;
export const gender = z.enum(GENDERS, { error: 'must be one of 男, 女, 未知' });

/** Positive integer from a query string or JSON; anything else falls back (API.md §1.3). */
function lenient(fallback: number) {
  return z.preprocess((v) => {
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
    return Number.isSafeInteger(n) && n > 0 ? n : fallback;
  }, z.number().int());
}

/**
 * Paging of API.md §1.3: `page` ≤ 0 or non-numeric → 1; `page_size` ≤ 0 or non-numeric →
 * the default; larger than the maximum → the maximum.
 */
export function paging(defaultPageSize: number, maxPageSize: number) {
  return z.object({
    page: lenient(1)
      .optional()
      .transform((v) => v ?? 1),
    page_size: lenient(defaultPageSize)
      .optional()
      .transform((v) => Math.min(v ?? defaultPageSize, maxPageSize)),
  });
}

/**
 * An id that may come from the query string, a JSON body or a multipart field (`from:
 * 'both'`, uploads): an integer, or a string of digits converted to one.
 */
export const looseId = z.preprocess(
  (v) => (typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v),
  id,
);
