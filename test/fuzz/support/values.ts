import fc from 'fast-check';

export const MAX_ID = Number.MAX_SAFE_INTEGER;

/**
 * JSON text written as is, for what `JSON.stringify` cannot produce: numbers past a double
 * (`1e400`), `-0`, a number written `5.0`, nesting deeper than a recursion would allow.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * JSON text of `value`, with `RawJson` inlined. Own `__proto__` keys (made with
 * `withKey`) are written like any other key, as a hostile client would send them.
 */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .map((k) => `${JSON.stringify(k)}:${jsonText(obj[k])}`)
    .join(',')}}`;
}

/** `obj` with an own property `key` (even `__proto__`), not a prototype change. */
export function withKey<T extends object>(obj: T, key: string, value: unknown): T {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}

/** Keys a careless merge would turn into prototype pollution. */
export const POLLUTING_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isAdmin',
] as const;

/** A value under a polluting key: usually an object that would poison a prototype. */
export const pollutingValue = fc.oneof(
  fc.constant({ isAdmin: true, polluted: 'yes', relation_id: 1, status_code: 0 }),
  fc.constant({ prototype: { polluted: 'yes' } }),
  fc.constant(null),
  fc.constant('polluted'),
  fc.constant(1),
  fc.constant([]),
);

/** Strings the database could not store as sent: refused with 1001 wherever they go. */
export const unstorableString: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }))
    .map(([a, b]) => `${a}\u0000${b}`),
  fc
    .tuple(fc.string({ maxLength: 6 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string())
    .map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b.slice(0, 6)}`),
  fc.constantFrom('\u0000', '\udc00\ud800', 'abc\ud83d', '\ude00xyz', 'x\u0000'.repeat(30)),
);

/** Longer than every string field's limit (the longest is 4096, the auth token). */
export function overlongString(maxCodePoints: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: 4097, max: maxCodePoints }), fc.constantFrom('x', '字', '😀', 'é'))
    .map(([n, c]) => c.repeat(n));
}

/**
 * Strings that are odd but storable: control and invisible characters, right-to-left
 * marks, astral characters, combining sequences, noncharacters, injection-looking text.
 * A field may accept or refuse them (length, pattern), never crash on them.
 */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).filter((s) => !s.includes('\u0000')),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.constantFrom(
    ' ',
    '\t\n\r',
    '\u200b',
    '\ufeff',
    '\u202eevil',
    '𝕏𝕐',
    '👩‍👩‍👧‍👦',
    'a\u0301\u0301\u0301',
    '\uffff',
    '\ufffe',
    '\u2028\u2029',
    '%00',
    '%',
    '_%\\',
    "'; drop table account; --",
    '${process.exit()}',
    '{{7*7}}',
    '<script>alert(1)</script>',
    '../../etc/passwd',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    '0',
    '-1',
    '1e400',
    'NaN',
    '\u00ff\u00fe',
  ),
);

/** A storable, non-empty text of a few characters: valid for every free-text field. */
export const plainText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 16 }).filter((s) => s.trim().length > 0),
  fc.constantFrom('你好', 'héllo wörld', 'emoji 😀', 'mixed 字 and text', 'x'),
);

/** Numbers no id accepts (ids are integers in 1 … 2^53 − 1). */
export const notAnId: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -1, -MAX_ID, MAX_ID + 1, 2 ** 63, 1.5, 0.1, 1e308, -1e308, MAX_ID + 0.5),
  fc.integer({ max: 0 }),
  fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    new RawJson('1e400'),
    new RawJson('-1e400'),
    new RawJson('-0'),
    new RawJson('123456789012345678901234567890'),
    new RawJson('1.0000000000000002'),
  ),
);

/** A value of the wrong JSON type for a field of `type`. */
export function wrongType(type: string): fc.Arbitrary<unknown> {
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('12', '1.5', '-1', ' 7', '0x10')),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    null: fc.constant(null),
    array: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 3 }),
    object: fc.oneof(
      fc.constant({}),
      fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
    ),
  };
  // A string of digits would pass where ids may come as text (query, form, `both`): only
  // strings that are no number at all stand for the wrong type there.
  const stringNotDigits = fc
    .oneof(fc.string({ maxLength: 8 }), fc.constantFrom('1.5', '-1', ' 7', '0x10', 'abc'))
    .filter((s) => !/^\d+$/.test(s));
  const pick = (names: string[]) =>
    fc.oneof(...names.map((n) => (n === 'string' ? stringNotDigits : all[n])));
  switch (type) {
    case 'integer':
    case 'number':
      return pick(['string', 'boolean', 'null', 'array', 'object']);
    case 'string':
      return pick(['number', 'boolean', 'null', 'array', 'object']);
    case 'boolean':
      return fc.oneof(all.number, all.string, all.null, all.array, all.object);
    case 'array':
      return fc.oneof(all.number, all.string, all.boolean, all.null, all.object);
    default:
      return fc.oneof(all.number, all.string, all.boolean, all.array);
  }
}

/**
 * Nesting far deeper than any schema: `[[[…]]]` or `{"a":{"a":…}}`, at most 40 KB of text
 * (so that a frame holding it stays under the gateway's 64 KiB).
 */
export const deepNesting: fc.Arbitrary<RawJson> = fc
  .tuple(fc.integer({ min: 50, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? new RawJson('['.repeat(depth) + ']'.repeat(depth))
      : new RawJson(
          '{"a":'.repeat(Math.floor(depth / 3)) + '1' + '}'.repeat(Math.floor(depth / 3)),
        ),
  );

/** Text that is not JSON, or not a JSON object. */
export const notJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '{"id":1,',
    '{"id":1,"event":"ping"',
    "{'id':1}",
    '{id:1}',
    '{"id":1,}',
    '[1,2',
    'undefined',
    'NaN',
    '\u0000',
    '{"id":1}garbage',
    '\ufeff{"id":1,"event":"ping"}',
    '{"id":1,"event":"ping"}{"id":2}',
    '{"a":"\\ud800"',
    '{"a":"\\x41"}',
    '{"a":01}',
  ),
  fc.string({ maxLength: 40 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);

/** JSON text that parses but is no object: a request envelope can never be one. */
export const jsonNotObject: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('null', 'true', 'false', '0', '-1', '1e400', '""', '"ping"', '[]', '[{"id":1}]'),
  fc
    .jsonValue({ maxDepth: 2 })
    .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
    .map((v) => JSON.stringify(v)),
);

/** Percentile of an ascending list. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
