/**
 * Character n-grams for message search (docs/data-model.md §3): a text message's distinct single
 * characters and adjacent character pairs of its content are stored in
 * `message_search.grams` (GIN-indexed), by the indexer a moment after the message itself,
 * so maintaining that index is not part of storing a message; a query looks up
 * `grams @> queryGrams(q)` to narrow candidates and
 * `msg_content ILIKE '%' || escapeLike(q) || '%' ESCAPE '\'` confirms the exact substring.
 *
 * Characters are Unicode code points (what PostgreSQL's `text` counts), not UTF-16 units,
 * so a character outside the BMP is one gram rather than two broken halves.
 *
 * Every gram of a query is a gram of any content containing it: normalization maps each
 * code point to exactly one code point, so a substring of the content stays a substring of
 * the normalized content, and its pairs and singles are among the content's.
 */

/** JavaScript's `\s`: ASCII and Unicode spaces, including the ideographic space U+3000. */
const WHITESPACE = /\s/u;

function isWhitespace(ch: string): boolean {
  return WHITESPACE.test(ch);
}

/**
 * ASCII letters to lower case, everything else unchanged. Deliberately not
 * `toLowerCase()`, which also folds non-ASCII letters and may change the length.
 */
export function normalize(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Adjacent pairs of code points, leaving out any pair that contains whitespace. */
function pairs(chars: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) {
    if (!isWhitespace(chars[i]) && !isWhitespace(chars[i + 1])) out.push(chars[i] + chars[i + 1]);
  }
  return out;
}

function singles(chars: string[]): string[] {
  return chars.filter((ch) => !isWhitespace(ch));
}

/**
 * The value of `message_search.grams` for a text message: the distinct single characters
 * and adjacent pairs of `normalize(content)`, without grams containing whitespace (singles
 * first, then pairs, each in order of first appearance). File messages are not indexed
 * (docs/data-model.md §3).
 */
export function contentGrams(content: string): string[] {
  const chars = Array.from(normalize(content));
  return [...new Set([...singles(chars), ...pairs(chars)])];
}

/**
 * The grams a message must contain to match query `q`: its adjacent pairs, or, when it
 * has none (one character, or characters separated by whitespace), its single characters.
 *
 * Returns `[]` for a query with no grams at all (empty or only whitespace). The caller
 * must reject such a query with 1001 (docs/data-model.md §3): `grams @> '{}'` is true for
 * every row, so running it would scan every message of the caller's relations.
 */
export function queryGrams(q: string): string[] {
  const chars = Array.from(normalize(q));
  const found = pairs(chars);
  return [...new Set(found.length > 0 ? found : singles(chars))];
}

/**
 * Escapes `\`, `%` and `_` so `s` matches literally inside a LIKE/ILIKE pattern written
 * with `ESCAPE '\'` (also PostgreSQL's default escape character).
 */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}
