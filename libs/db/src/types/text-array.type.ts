/**
 * A PostgreSQL array literal for `values`, for parameters cast with `::text[]`: every
 * element double-quoted and only `\` and `"` backslash-escaped, which is exactly
 * PostgreSQL's array-literal grammar, so any string survives (the element `NULL` stays the
 * string, `"` followed by U+0001 stays itself). Used for the batch inserts' columns and
 * `message_search.grams` (docs/data-model.md §3).
 */
export function toTextArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`).join(',')}}`;
}
