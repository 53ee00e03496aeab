import { ArrayType, type Platform, type TransformContext } from '@mikro-orm/core';

/**
 * `text[]` that survives any string. MikroORM 6's PostgreSQL array literal leaves an
 * element unquoted unless it contains `"{},\`, so the element `NULL` comes back as SQL
 * NULL; and it escapes quoted elements with `JSON.stringify`, so `"` followed by U+0001
 * comes back as `"u0001`. Here every element is double-quoted and only `\` and `"` are
 * backslash-escaped, which is exactly PostgreSQL's array-literal grammar.
 * Used for `message.search_grams` (DATA.md §2.8, §3).
 */
export class TextArrayType extends ArrayType<string> {
  override convertToDatabaseValue(
    value: string[],
    platform: Platform,
    context?: TransformContext,
  ): string | null {
    if (!Array.isArray(value)) return super.convertToDatabaseValue(value, platform, context);
    return toTextArrayLiteral(value);
  }

  override getColumnType(): string {
    return 'text[]';
  }
}

/** A PostgreSQL array literal for `values`, for parameters cast with `::text[]`. */
export function toTextArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`).join(',')}}`;
}
