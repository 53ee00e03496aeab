import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { ErrorCode, ID_DIGITS } from '@chat/protocol';
import type { Field, Operation, SchemaNode } from './openapi-model';
import {
  deepNesting,
  jsonNotObject,
  jsonText,
  MAX_ID,
  notAnId,
  oddString,
  overlongString,
  plainText,
  POLLUTING_KEYS,
  pollutingValue,
  RawJson,
  unstorableString,
  withKey,
  wrongType,
} from './values';

/** A credential the api must refuse, with the code for each token kind. */
export interface BadCredential {
  name: string;
  header(kind: 'user' | 'account'): string | undefined;
  code(kind: 'user' | 'account'): number;
}

/** What the fuzzer's account knows of its world: its tokens and ids that exist. */
export interface RestWorld {
  userToken: string;
  accountToken: string;
  /** Ids of accounts, relations, messages, notices and files the account can see. */
  ids: number[];
  /** Relation id of a group the account leads (avatar uploads for a group). */
  groupId: number;
  badCredentials: BadCredential[];
}

/** What an answer must be. */
export type RestExpect =
  /**
   * HTTP 200 (404 with 1002) and the envelope, with one of these codes; a refusal names
   * one of `mentions` in its status_msg (docs/errors.md: "the message names the field").
   */
  | { type: 'codes'; codes: number[]; mentions?: string[] }
  /** No such route: HTTP 404 and 1002. */
  | { type: 'unknown' }
  /** A path that may or may not reach a route: 404 and 1002, or one of these codes. */
  | { type: 'route-or-unknown'; codes: number[]; mentions?: undefined }
  /** CORS pre-flight: 200, no body. */
  | { type: 'preflight' }
  /** HEAD: 200 on a GET route, 404 elsewhere; no body either way. */
  | { type: 'head'; route: boolean }
  /** `/files/…`: 404 and 1002, or 200 with an object's bytes, never a file outside the store. */
  | { type: 'files' };

export interface RestCase {
  kind: string;
  method: string;
  /** Path and query string, as written on the request line. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent with `Transfer-Encoding: chunked` instead of a length. */
  chunked?: boolean;
  expect: RestExpect;
  /** What the generator did, for a defect report. */
  note: string;
}

/** Operations that end the caller's session: sent only with bad credentials. */
const SESSION_ENDING = new Set(['POST /api/user/logout', 'POST /api/account/logout']);
/**
 * Operations that would dismantle the fuzzer's own world (its friendship, group, account):
 * their ids come from outside that world, so they fail, but every path to the failure runs.
 */
const DESTRUCTIVE = new Set([
  'DELETE /api/account/delete',
  'DELETE /api/setting/friend/delete',
  'POST /api/group/dissolve',
  'POST /api/group/transfer',
]);
/** Operations that hash a password (argon2): a few of them, or the fuzz measures hashing. */
const HASHING = new Set(['POST /api/user/login', 'POST /api/user/register']);
/** Operations whose limiter runs before authentication and validation (1004 first). */
const LIMITED_FIRST = new Set(['POST /api/email/send']);
const opKey = (op: Operation) => `${op.method} ${op.path}`;

/** A field that takes anything: paging. */
function isLenient(schema: SchemaNode): boolean {
  return schema.type === 'integer' && (schema.minimum ?? 0) < 0;
}

/**
 * An id wherever it may come from the query string (docs/api.md §1.2), as the document
 * writes it: a JSON integer ≥ 1 or its canonical digits (`id`), or either of those or 0,
 * where absent, empty and 0 mean none (`optional-id`). Undefined for any other field.
 */
function idKind(schema: SchemaNode): 'id' | 'optional-id' | undefined {
  const alternatives = schema.anyOf ?? [];
  const digits = alternatives.some((a) => a.type === 'string' && a.pattern === ID_DIGITS.source);
  const integer = alternatives.some((a) => a.type === 'integer' && a.minimum === 1);
  if (!digits || !integer) return undefined;
  return alternatives.some((a) => a.const === 0) ? 'optional-id' : 'id';
}

/** Ids of `kind` as a client may send them: numbers, digit strings, and 0 where it means none. */
function idInput(kind: 'id' | 'optional-id', ids: fc.Arbitrary<number>): fc.Arbitrary<unknown> {
  const either = fc.oneof(ids, ids.map(String));
  return kind === 'id' ? either : fc.oneof(fc.constantFrom(0, '0', ''), either);
}

/** What an id field of `kind` refuses: not an integer, out of range, or not canonical digits. */
function notIdInput(kind: 'id' | 'optional-id'): fc.Arbitrary<unknown> {
  const none = kind === 'optional-id';
  return fc.oneof(
    notAnId.filter(
      (v) => !(none && (v === 0 || (v instanceof RawJson && ['-0', '0'].includes(v.text)))),
    ),
    invalidQueryId.filter((v) => !(none && (v === '' || v === '0'))),
    fc.constantFrom<unknown>(true, false, [], [1], {}, ...(none ? [] : [null])),
  );
}

interface Built {
  value: unknown;
  invalid: boolean;
  note: string;
}

// ---------------------------------------------------------------- JSON body values

function idValue(world: RestWorld, foreign: boolean): fc.Arbitrary<number> {
  const random = fc.oneof(
    fc.integer({ min: 1, max: 1000 }).filter((n) => !foreign || !world.ids.includes(n)),
    fc.integer({ min: 1, max: MAX_ID }),
    fc.constant(MAX_ID),
  );
  if (foreign || world.ids.length === 0) return random;
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...world.ids) }, random);
}

function validJson(
  name: string,
  s: SchemaNode,
  world: RestWorld,
  foreign: boolean,
): fc.Arbitrary<unknown> {
  const ids = idKind(s);
  if (ids) return idInput(ids, idValue(world, foreign));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.anyOf) return fc.oneof(...s.anyOf.map((a) => validJson(name, a, world, foreign)));
  switch (s.type) {
    case 'integer': {
      if (isLenient(s)) return fc.oneof(fc.integer({ min: -3, max: 300 }), fc.integer());
      const min = s.minimum ?? 0;
      const max = s.maximum ?? MAX_ID;
      if (name === 'idx') return fc.integer({ min: 1, max: 60 });
      if (max < MAX_ID) return fc.integer({ min, max });
      return min === 0
        ? fc.oneof(fc.constant(0), idValue(world, foreign))
        : idValue(world, foreign);
    }
    case 'string': {
      if (s.enum) return fc.constantFrom(...(s.enum as string[]));
      if (s.pattern) {
        const max = s.maxLength ?? Infinity;
        return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= max);
      }
      if (s.format === 'uri') return validPushUrl;
      if (name === 'email') return validEmail;
      if (name.includes('password')) return validPassword;
      if (name === 'emoji') return validReaction;
      return plainText;
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validJson(name, s.items ?? {}, world, foreign), {
        minLength: Math.max(1, s.minItems ?? 0),
        maxLength: Math.min(s.maxItems ?? 4, 4),
      });
    case 'object':
      return validObject(s, world, foreign);
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

/**
 * Reactions the api takes (docs/features.md, Reactions): one emoji grapheme, skin tones,
 * flags and joined sequences included, or one of its words. The rule is a refinement, which
 * the OpenAPI document cannot express, so the field is known by name like `email`.
 */
const validReaction = fc.constantFrom(
  '👍',
  '❤️',
  '😂',
  '🇯🇵',
  '👍🏽',
  '👨‍👩‍👧',
  '+1',
  '-1',
  'ok',
  'done',
  'lol',
);

/** http(s) URLs, as a browser's push subscription names its push service. */
const validPushUrl = fc.oneof(
  fc.webUrl({ validSchemes: ['https', 'http'] }).filter((u) => u.length <= 2048),
  fc.constantFrom('https://push.example.com/send/abc', 'http://127.0.0.1:9/wp/1'),
);

/** Addresses every validator takes (RFC oddities and IDN addresses are odd values instead). */
const validEmail = fc.oneof(
  fc.integer({ min: 0, max: 10 ** 9 }).map((n) => `fz${n}@example.com`),
  fc.constantFrom('UPPER@EXAMPLE.COM', 'a.b+c@example.org', 'x_y-z@sub.example.net'),
);

/** Addresses RFC 5321 allows that a validator may still refuse: odd, not invalid. */
const oddEmail = fc.oneof(
  fc.emailAddress().filter((e) => e.length <= 50),
  fc.constantFrom('用户@例子.广告', '"quoted"@example.com', 'a@[127.0.0.1]'),
);

const validPassword = fc
  .string({ minLength: 6, maxLength: 32 })
  .filter((p) => [...p].length >= 6 && [...p].length <= 32);

function validObject(s: SchemaNode, world: RestWorld, foreign: boolean): fc.Arbitrary<unknown> {
  const required = new Set(s.required ?? []);
  const entries = Object.entries(s.properties ?? {});
  return fc
    .tuple(
      ...entries.map(([k, v]) =>
        required.has(k)
          ? validJson(k, v, world, foreign).map((x) => ({ some: true, x }))
          : fc.option(validJson(k, v, world, foreign), { nil: undefined }).map((x) => ({
              some: x !== undefined,
              x,
            })),
      ),
    )
    .map((vals) => {
      const o: Record<string, unknown> = {};
      vals.forEach((v, i) => {
        if (v.some) o[entries[i][0]] = v.x;
      });
      return o;
    });
}

/** A value `s` refuses (1001), with what it is; undefined where `s` takes anything. */
function invalidJson(
  name: string,
  s: SchemaNode,
  world: RestWorld,
): fc.Arbitrary<Built> | undefined {
  const tag = (what: string) => (v: unknown) => ({
    value: v,
    invalid: true,
    note: `${name}: ${what}`,
  });
  const ids = idKind(s);
  if (ids) return notIdInput(ids).map(tag('not an id'));
  if (s.anyOf) {
    const obj = s.anyOf.find((a) => a.type === 'object');
    const alternatives = [
      fc
        .oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant([]))
        .map(tag('wrong type')),
    ];
    const inner = obj && invalidJson(name, obj, world);
    if (inner) alternatives.push(inner);
    return fc.oneof(...alternatives);
  }
  switch (s.type) {
    case 'integer': {
      if (isLenient(s)) return undefined;
      const min = s.minimum ?? -MAX_ID;
      const max = s.maximum ?? MAX_ID;
      const bad = fc.oneof(
        notAnId
          .filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max))
          .filter((v) => !(v instanceof RawJson && v.text === '-0' && min <= 0)),
        fc.constant(max + 1),
        fc.integer({ min: -MAX_ID, max: min - 1 }),
      );
      return fc.oneof(
        bad.map(tag('out of range or not an integer')),
        // Only ids take digit strings; any other integer of a JSON body refuses them.
        fc
          .oneof(wrongType('integer'), fc.constantFrom('1', '12', String(MAX_ID)))
          .map(tag('wrong type')),
      );
    }
    case 'string': {
      const base: fc.Arbitrary<Built>[] = [
        unstorableString.map(tag('U+0000 or a lone surrogate')),
        overlongString(20_000).map(tag('too long')),
        wrongType('string').map(tag('wrong type')),
      ];
      if (s.const !== undefined) {
        const value = String(s.const);
        base.push(
          fc
            .constantFrom('', `${value}x`, value.toUpperCase(), ` ${value}`)
            .filter((v) => v !== value)
            .map(tag(`not ${value}`)),
        );
      } else if (s.enum) {
        base.push(
          fc
            .constantFrom('', 'male', 'Male', '男 ', ' 女', 'unknown', '未 知')
            .map(tag('not in the enum')),
        );
      } else if (s.format === 'uri') {
        base.push(
          fc
            .constantFrom('', 'not a url', 'ftp://example.com/x', 'javascript:alert(1)', '//x.y')
            .map(tag('not an http(s) URL')),
        );
      } else if (s.pattern) {
        const re = new RegExp(s.pattern);
        base.push(
          fc
            .oneof(
              fc.string({ maxLength: 8 }),
              fc.constantFrom('', '12345', '1234567', '12345a', '١٢٣٤٥٦'),
            )
            .filter((v) => !re.test(v))
            .map(tag('does not match its pattern')),
        );
      } else if (name === 'email') {
        base.push(
          fc
            .constantFrom('', 'not-an-email', 'a@', '@b.c', 'a b@c.d', `${'a'.repeat(45)}@x.com`)
            .map(tag('not an email of at most 50 characters')),
        );
      } else if (name.includes('password')) {
        base.push(fc.constantFrom('', '12345', 'x'.repeat(33)).map(tag('length outside 6–32')));
      } else {
        base.push(fc.constant('').map(tag('empty')));
      }
      return fc.oneof(...base);
    }
    case 'boolean':
      return wrongType('boolean').map(tag('not a boolean'));
    case 'array': {
      const items = s.items ?? {};
      const alternatives: fc.Arbitrary<Built>[] = [wrongType('array').map(tag('not an array'))];
      if ((s.minItems ?? 0) >= 1) alternatives.push(fc.constant([]).map(tag('empty array')));
      if (s.maxItems !== undefined && s.maxItems <= 300) {
        alternatives.push(
          fc
            .array(validJson(name, items, world, false), {
              minLength: s.maxItems + 1,
              maxLength: s.maxItems + 3,
            })
            .map(tag(`more than ${s.maxItems} items`)),
        );
      }
      const badItem = invalidJson(name, items, world);
      if (badItem) {
        alternatives.push(
          fc
            .tuple(validJson(name, { ...s, minItems: 0 }, world, false), badItem, fc.nat())
            .map(([arr, bad, at]) => {
              const list = [...(arr as unknown[])];
              list.splice(at % (list.length + 1), 0, bad.value);
              return { value: list, invalid: true, note: `${name}[]: ${bad.note}` };
            }),
        );
      }
      return fc.oneof(...alternatives);
    }
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      const required = s.required ?? [];
      const alternatives: fc.Arbitrary<Built>[] = [wrongType('object').map(tag('not an object'))];
      if (required.length > 0) {
        alternatives.push(
          fc.tuple(validObject(s, world, false), fc.constantFrom(...required)).map(([o, drop]) => {
            const copy = { ...(o as Record<string, unknown>) };
            delete copy[drop];
            return { value: copy, invalid: true, note: `${name}.${drop}: missing` };
          }),
        );
      }
      for (const [k, v] of props) {
        const bad = invalidJson(k, v, world);
        if (!bad) continue;
        alternatives.push(
          fc.tuple(validObject(s, world, false), bad).map(([o, b]) => ({
            value: { ...(o as Record<string, unknown>), [k]: b.value },
            invalid: true,
            note: `${name}.${b.note}`,
          })),
        );
      }
      return fc.oneof(...alternatives);
    }
    default:
      return undefined;
  }
}

/** Odd values a field may accept or refuse: the answer only has to be a documented one. */
function oddJson(name: string, s: SchemaNode): fc.Arbitrary<unknown> {
  return fc.oneof(
    name === 'email' ? oddEmail : oddString,
    deepNesting,
    wrongType(s.type ?? 'object'),
    fc.constantFrom(new RawJson('5.0'), new RawJson('1e2'), new RawJson('-0'), new RawJson('0.0')),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

// ---------------------------------------------------------------- query string values

const invalidQueryId = fc.oneof(
  fc.constantFrom(
    '0',
    '00',
    '-1',
    '1.5',
    '9007199254740992',
    '99999999999999999',
    '',
    ' 1',
    '1e3',
    '0x10',
    'abc',
    '+1',
    '١٢',
    '1,2',
  ),
  fc.string({ maxLength: 6 }).filter((v) => !ID_DIGITS.test(v)),
);

function validQuery(name: string, s: SchemaNode, world: RestWorld): fc.Arbitrary<string> {
  if (isLenient(s)) {
    return fc.oneof(
      fc.integer({ min: -3, max: 300 }).map(String),
      fc.string({ maxLength: 6 }),
      oddString,
    );
  }
  const ids = idKind(s);
  if (ids) return idInput(ids, idValue(world, false)).map(String);
  if (s.pattern === '^\\d{1,12}$') {
    return fc.oneof(
      fc.integer({ min: 1, max: 4_000_000_000 }).map(String),
      fc.constant(String(Math.floor(Date.now() / 1000) + 60)),
    );
  }
  if (s.enum) return fc.constantFrom(...(s.enum as string[]));
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
  if (name === 'email') return validEmail;
  return plainText;
}

function invalidQuery(name: string, s: SchemaNode): fc.Arbitrary<Built> | undefined {
  const tag = (what: string) => (v: unknown) => ({
    value: v,
    invalid: true,
    note: `${name}: ${what}`,
  });
  if (isLenient(s)) return undefined;
  // A lone surrogate cannot be sent in a URL (its UTF-8 is invalid and arrives as U+FFFD):
  // in the query string only U+0000 is unstorable.
  const nul = fc
    .tuple(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }))
    .map(([a, b]) => `${a}\u0000${b}`);
  const long = fc.integer({ min: 4097, max: 9000 }).map((n) => 'x'.repeat(n));
  const ids = idKind(s);
  if (ids) {
    const none = ids === 'optional-id';
    return fc
      .oneof(
        invalidQueryId.filter((v) => !(none && (v === '' || v === '0'))),
        nul,
      )
      .map(tag('not an id'));
  }
  if (s.pattern === '^\\d{1,12}$') {
    return fc
      .oneof(fc.constantFrom('0', '1234567890123', '-5', '', 'abc', '1.5', ' 9'), nul)
      .map(tag('not unix seconds'));
  }
  if (name === 'email') {
    return fc
      .oneof(fc.constantFrom('', 'nope', 'a@', `${'a'.repeat(45)}@x.com`), nul, long)
      .map(tag('not an email'));
  }
  return fc.oneof(fc.constant(''), nul, long).map(tag('empty, U+0000 or too long'));
}

/** Percent-encodes every UTF-16 unit, lone surrogates included (as their 3 raw bytes). */
export function encodeQueryValue(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

// ---------------------------------------------------------------- credentials, headers

interface Credential {
  header?: string;
  /** The code a refused credential must get, or undefined when it is good. */
  code?: number;
  name: string;
}

function credential(op: Operation, world: RestWorld): fc.Arbitrary<Credential> {
  if (op.auth === 'none') {
    return fc.oneof(
      { weight: 4, arbitrary: fc.constant<Credential>({ name: 'none' }) },
      fc.constantFrom<Credential>(
        { name: 'stray token', header: `Bearer ${world.accountToken}` },
        { name: 'stray garbage', header: 'Bearer x.y.z' },
      ),
    );
  }
  const kind = op.auth;
  const bad = fc
    .constantFrom(...world.badCredentials)
    .map((c): Credential => ({ name: c.name, header: c.header(kind), code: c.code(kind) }));
  if (SESSION_ENDING.has(opKey(op))) return bad;
  const good = fc.constant<Credential>({
    name: 'good',
    header: `Bearer ${kind === 'user' ? world.userToken : world.accountToken}`,
  });
  return fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: bad });
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** `X-Request-Id` values: plain tokens are echoed, anything else is replaced. */
const requestIdHeader = fc.option(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
    fc.string({ maxLength: 20, unit: 'binary-ascii' }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    fc.constantFrom('x'.repeat(129), 'a b', '../../x', '<id>', 'é'),
  ),
  { nil: undefined, freq: 3 },
);

/** `X-Forwarded-For` values: believed from loopback, so they feed the per-address limits. */
const forwardedFor = fc.option(
  fc.constantFrom(
    '1.2.3.4',
    '::1',
    'garbage',
    '1.2.3.4, 5.6.7.8',
    '999.999.999.999',
    'fe80::1%eth0',
    '[::1]:80',
    '::ffff:10.0.0.1',
    '2001:db8::1',
    ', ,',
    'unknown',
  ),
  { nil: undefined, freq: 6 },
);

/** Latin-1 text is all a header can carry; anything else is written as its UTF-8 bytes. */
function headerSafe(s: string): string {
  return Buffer.from(s, 'utf8')
    .toString('latin1')
    .replace(/[\r\n\0]/g, '');
}

// ---------------------------------------------------------------- route cases

type BodyMode =
  | 'json'
  | 'json-charset'
  | 'json-latin1'
  | 'none'
  | 'text-plain'
  | 'malformed'
  | 'non-object'
  | 'deep'
  | 'gzip'
  | 'gzip-garbage'
  | 'unknown-encoding'
  | 'chunked'
  | 'vendor-json';

const bodyMode: fc.Arbitrary<BodyMode> = fc.oneof(
  { weight: 24, arbitrary: fc.constant<BodyMode>('json') },
  fc.constantFrom<BodyMode>(
    'json-charset',
    'json-latin1',
    'none',
    'text-plain',
    'malformed',
    'malformed',
    'non-object',
    'deep',
    'gzip',
    'gzip-garbage',
    'unknown-encoding',
    'chunked',
    'vendor-json',
  ),
);

/** Not JSON, as a body: never empty (an empty JSON body reads as `{}`). */
const malformedBody = fc.oneof(
  fc.constantFrom(
    '{',
    '{"a":1,',
    "{'a':1}",
    '{a:1}',
    '{"a":1,}',
    '[1,2',
    'undefined',
    'NaN',
    '\u0000',
    '{"a":1}x',
    '{"a":01}',
    '{"a":"\\x41"}',
    ' ',
  ),
  fc.string({ minLength: 1, maxLength: 30 }).filter((s) => {
    try {
      JSON.parse(s.replace(/^\ufeff/, ''));
      return false;
    } catch {
      return true;
    }
  }),
);

interface Mutation {
  kind: 'bad' | 'drop' | 'odd' | 'extra' | 'pollute' | 'alias';
  field: number;
}

const mutations = (n: number): fc.Arbitrary<Mutation[]> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant<Mutation[]>([]) },
    {
      weight: 6,
      arbitrary: fc.array(
        fc.record({
          kind: fc.constantFrom<Mutation['kind']>(
            'bad',
            'bad',
            'bad',
            'drop',
            'odd',
            'extra',
            'pollute',
            'alias',
          ),
          field: fc.nat({ max: Math.max(0, n - 1) }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    },
  );

const ALIASES: Record<string, string> = {
  relation_id: 'relationID',
  last_time: 'lastTime',
  rly_msg_id: 'rlyMsgID',
};

/** Applies `muts` to valid values of the fields; says whether the result must be refused. */
function mutate(
  op: Operation,
  values: Record<string, unknown>,
  muts: Mutation[],
  bad: (Built | undefined)[],
  odd: unknown[],
  extraKey: string,
  extraValue: unknown,
): {
  input: Record<string, unknown>;
  invalid: boolean;
  odd: boolean;
  notes: string[];
  /** The fields that make the input invalid (and odd ones): the answer names one of them. */
  wrong: string[];
} {
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) input[k] = v;
  /** The last thing done to each field decides what it is. */
  const state = new Map<string, 'bad' | 'odd' | 'dropped'>();
  const notes: string[] = [];
  muts.forEach((m, i) => {
    const field = op.fields[m.field];
    switch (m.kind) {
      case 'bad': {
        const b = bad[i];
        if (!b || !field) return;
        input[field.name] = b.value;
        state.set(field.name, 'bad');
        notes.push(b.note);
        return;
      }
      case 'drop':
        if (!field || !(field.name in input)) return;
        delete input[field.name];
        state.set(field.name, 'dropped');
        notes.push(`${field.name}: dropped`);
        return;
      case 'odd':
        if (!field) return;
        input[field.name] = odd[i];
        // A field that takes anything stays valid; elsewhere an odd value may be refused.
        if (isLenient(field.schema)) state.delete(field.name);
        else state.set(field.name, 'odd');
        notes.push(`${field.name}: odd value ${JSON.stringify(jsonText(odd[i]).slice(0, 40))}`);
        return;
      case 'extra':
        input[`x_${extraKey}`] = extraValue;
        notes.push('extra field');
        return;
      case 'pollute': {
        const key = POLLUTING_KEYS[m.field % POLLUTING_KEYS.length];
        withKey(input, key, extraValue);
        notes.push(`key ${key}`);
        return;
      }
      case 'alias': {
        const alias = field && ALIASES[field.name];
        if (!alias || op.input !== 'query' || !(field.name in input)) return;
        input[alias] = input[field.name];
        delete input[field.name];
        notes.push(`${field.name} as ${alias}`);
        return;
      }
    }
  });
  const wrong: string[] = [];
  let isOdd = false;
  for (const f of op.fields) {
    const s = state.get(f.name);
    if (s === 'bad' || (s === 'dropped' && f.required)) wrong.push(f.name);
    if (s === 'odd') isOdd = true;
  }
  // An odd value may be invalid too, and be the one the answer names (it names up to five).
  const named = [
    ...wrong,
    ...op.fields.filter((f) => state.get(f.name) === 'odd').map((f) => f.name),
  ];
  return { input, invalid: wrong.length > 0, odd: isOdd, notes, wrong: named };
}

/** Requests to the routes of `ops`, valid or mutated, each with the answer it must get. */
function routeCase(op: Operation, world: RestWorld): fc.Arbitrary<RestCase> {
  const key = opKey(op);
  const foreign = DESTRUCTIVE.has(key);
  const fields = op.fields;
  const values =
    op.input === 'query'
      ? fc.tuple(
          ...fields.map((f) =>
            f.required
              ? validQuery(f.name, f.schema, world)
              : fc.option(validQuery(f.name, f.schema, world), { nil: undefined }),
          ),
        )
      : fc.tuple(
          ...fields.map((f) =>
            f.required
              ? validJson(f.name, f.schema, world, foreign)
              : fc.option(validJson(f.name, f.schema, world, foreign), { nil: undefined }),
          ),
        );
  const none = fc.constant(undefined);
  const badOf = (f: Field | undefined) =>
    (f &&
      (op.input === 'query'
        ? invalidQuery(f.name, f.schema)
        : invalidJson(f.name, f.schema, world))) ||
    none;
  const oddOf = (f: Field | undefined) =>
    f
      ? op.input === 'query'
        ? f.name === 'email'
          ? oddEmail
          : oddString
        : oddJson(f.name, f.schema)
      : none;
  return fc
    .record({
      values,
      muts: mutations(fields.length),
      cred: credential(op, world),
      mode:
        op.input === 'body'
          ? bodyMode
          : fc.oneof({ weight: 8, arbitrary: fc.constant<BodyMode>('none') }, bodyMode),
      extraKey: fc.string({ maxLength: 8 }),
      extraValue: fc.oneof(pollutingValue, fc.jsonValue({ maxDepth: 2 })),
      nonObject: jsonNotObject,
      deep: deepNesting,
      malformed: malformedBody,
      requestId: requestIdHeader,
      xff: forwardedFor,
      pathVariant: fc.oneof(
        { weight: 10, arbitrary: fc.constant('exact') },
        fc.constantFrom('upper', 'slash', 'repeat-key', 'stray-query'),
      ),
    })
    .chain((r) =>
      fc
        .tuple(
          fc.tuple(...r.muts.map((m) => badOf(fields[m.field]))),
          fc.tuple(...r.muts.map((m) => oddOf(fields[m.field]))),
        )
        .map(([bad, odd]) => ({ ...r, bad, odd })),
    )
    .map((r): RestCase => {
      const valueRecord: Record<string, unknown> = {};
      fields.forEach((f, i) => (valueRecord[f.name] = r.values[i]));
      const m = mutate(
        op,
        valueRecord,
        r.muts,
        r.bad as (Built | undefined)[],
        r.odd,
        r.extraKey,
        r.extraValue,
      );
      const odd = m.odd;
      const notes = [...m.notes];
      const headers: Record<string, string> = {};
      if (r.cred.header !== undefined) headers.authorization = headerSafe(r.cred.header);
      if (r.requestId !== undefined) headers['x-request-id'] = r.requestId;
      if (r.xff !== undefined) headers['x-forwarded-for'] = r.xff;

      // The path, and the query string for query operations.
      let path = op.path;
      if (r.pathVariant === 'upper') path = path.toUpperCase();
      if (r.pathVariant === 'slash') path += '/';
      const query: string[] = [];
      if (op.input === 'query') {
        for (const k of Object.keys(m.input)) {
          const v = m.input[k];
          const text = typeof v === 'string' ? v : jsonText(v);
          query.push(`${encodeQueryValue(k)}=${encodeQueryValue(text)}`);
        }
        if (r.pathVariant === 'repeat-key' && query.length > 0) {
          // Only the first value of a repeated key counts: a second, bad one changes nothing.
          query.push(`${query[0].split('=')[0]}=%00bad`);
          notes.push('repeated key');
        }
      }
      if (r.pathVariant === 'stray-query') {
        query.push('zz%5B%5D=1', '__proto__=x', 'constructor=y', '%ZZ=%E0%A4%A');
        notes.push('stray query keys');
      }
      if (query.length) path += `?${query.join('&')}`;

      // The body, for body operations; a stray one elsewhere.
      let body: Buffer | undefined;
      let chunked = false;
      let bodyProblem = false;
      /** What the route reads as its input when the body is not what was built. */
      let seenInput: 'built' | 'empty' | 'not-object' = 'built';
      const payload = op.input === 'body' ? m.input : {};
      const json = jsonText(payload);
      switch (r.mode) {
        case 'none':
          if (op.input === 'body') seenInput = 'empty';
          break;
        case 'json':
        case 'chunked':
          headers['content-type'] = 'application/json';
          body = Buffer.from(json);
          chunked = r.mode === 'chunked';
          break;
        case 'json-charset':
          headers['content-type'] = 'Application/JSON; charset=UTF-8';
          body = Buffer.from(json);
          break;
        case 'json-latin1':
          headers['content-type'] = 'application/json; charset=latin1';
          body = Buffer.from(json);
          bodyProblem = true;
          break;
        case 'text-plain':
        case 'vendor-json':
          headers['content-type'] =
            r.mode === 'text-plain' ? 'text/plain' : 'application/vnd.chat+json';
          body = Buffer.from(json);
          if (op.input === 'body') seenInput = 'empty';
          break;
        case 'malformed':
          headers['content-type'] = 'application/json';
          body = Buffer.from(r.malformed);
          bodyProblem = true;
          break;
        case 'non-object':
        case 'deep': {
          headers['content-type'] = 'application/json';
          const text = r.mode === 'deep' ? r.deep.text : r.nonObject;
          body = Buffer.from(text);
          // An object (deep nesting under "a") holds none of the fields; null reads as {}.
          if (op.input === 'body') {
            seenInput = text === 'null' || text.startsWith('{') ? 'empty' : 'not-object';
          }
          break;
        }
        case 'gzip':
          headers['content-type'] = 'application/json';
          headers['content-encoding'] = 'gzip';
          body = gzipSync(json);
          break;
        case 'gzip-garbage':
          headers['content-type'] = 'application/json';
          headers['content-encoding'] = 'gzip';
          body = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0]), Buffer.from(json)]);
          bodyProblem = true;
          break;
        case 'unknown-encoding':
          headers['content-type'] = 'application/json';
          headers['content-encoding'] = 'x-zz';
          body = Buffer.from(json);
          bodyProblem = true;
          break;
      }
      notes.unshift(`body ${r.mode}`, `credential ${r.cred.name}`);

      // What the route sees decides whether the input must be refused.
      const requiredMissing = op.fields.some((f) => f.required);
      const inputInvalid =
        op.input === 'body'
          ? seenInput === 'empty'
            ? requiredMissing
            : seenInput === 'not-object'
              ? true
              : m.invalid
          : op.input === 'query'
            ? m.invalid
            : false;
      const unsure = odd && !inputInvalid;

      let codes: number[];
      let kind: string;
      let mentions: string[] | undefined;
      if (bodyProblem) {
        codes = [ErrorCode.InvalidParams];
        kind = 'rest:bad-body';
        mentions = ['body', 'request'];
      } else if (r.cred.code !== undefined) {
        codes = [r.cred.code];
        kind = 'rest:bad-credential';
      } else if (inputInvalid) {
        codes = [ErrorCode.InvalidParams];
        kind = 'rest:invalid-input';
        mentions =
          op.input === 'body' && seenInput === 'not-object'
            ? ['body']
            : op.input === 'body' && seenInput === 'empty'
              ? op.fields.filter((f) => f.required).map((f) => f.name)
              : m.wrong;
      } else if (unsure) {
        codes = [...op.codes];
        kind = 'rest:odd-input';
      } else {
        // Valid input: any answer the operation documents but 1001.
        codes = [...op.codes].filter((c) => c !== ErrorCode.InvalidParams);
        kind = 'rest:valid-input';
      }
      if (LIMITED_FIRST.has(key) && !bodyProblem)
        codes = [...new Set([...codes, ErrorCode.TooManyRequests])];
      return {
        kind,
        method: op.method,
        path,
        headers,
        body,
        chunked,
        expect: { type: 'codes', codes, mentions },
        note: `${key}${op.variant ? ` (${op.variant})` : ''}: ${notes.join('; ')}`,
      };
    });
}

// ---------------------------------------------------------------- uploads

const IMAGE_HEADS: Record<string, Buffer> = {
  png: Buffer.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
  ]),
  jpg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]),
  gif: Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00', 'latin1'),
  webp: Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 ')]),
};

/** File names a client may send: path tricks, odd and unstorable characters. */
const fileName = fc.oneof(
  fc.constantFrom(
    'a.png',
    '../../../../etc/passwd',
    '..\\..\\..\\windows\\win.ini',
    '/etc/shadow',
    'C:\\boot.ini',
    './.hidden',
    '....//....//x.png',
    '%2e%2e%2fsecret.png',
    'a/../../b.png',
    '.',
    '..',
    '.tmp',
    'x'.repeat(400),
    'name with spaces.png',
    '\u202egnp.exe',
    '字.png',
    '😀.gif',
    'con.png',
    'a;b=c.png',
    '"quoted".png',
  ),
  fc.string({ maxLength: 40 }),
  oddString,
);

interface UploadPlan {
  problem:
    | 'none'
    | 'not-image'
    | 'empty-file'
    | 'no-file'
    | 'wrong-field'
    | 'two-files'
    | 'bad-field'
    | 'nul-name'
    | 'not-multipart'
    | 'no-boundary'
    | 'truncated'
    | 'too-many-fields'
    | 'field-too-large';
  image: keyof typeof IMAGE_HEADS;
  /** The file is an image (else a text document). */
  isImage: boolean;
  size: number;
  name: string;
  /** Per form field of the operation: how it is sent. */
  fieldChoices: ('absent' | 'empty' | 'zero' | 'known' | 'random')[];
  knownIndex: number;
  randomId: number;
  extraField: string;
  credential: Credential;
  nameStar: boolean;
}

function multipart(
  boundary: string,
  parts: {
    name: string;
    file?: { name: string; type: string; data: Buffer; star: boolean };
    value?: string;
  }[],
): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.file) {
      const quoted = p.file.name.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
      // RFC 5987: percent-encoded UTF-8, where even ' ( ) * must be encoded.
      const ext = encodeQueryValue(p.file.name).replace(
        /['()*!]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      );
      head += p.file.star ? `; filename*=utf-8''${ext}` : `; filename="${quoted}"`;
      head += `\r\nContent-Type: ${p.file.type}`;
    }
    chunks.push(Buffer.from(`${head}\r\n\r\n`, 'utf8'));
    chunks.push(p.file ? p.file.data : Buffer.from(p.value ?? '', 'utf8'));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/**
 * Uploads to a multipart operation (the avatar, the file message), valid or broken in one
 * way each, with the answer each must get. The operation's document says which files its
 * part takes (images only, or any) and up to what size.
 */
function uploadCase(op: Operation, world: RestWorld): fc.Arbitrary<RestCase> {
  const spec = op.upload!;
  return fc
    .record<UploadPlan>({
      problem: fc.oneof(
        { weight: 10, arbitrary: fc.constant<UploadPlan['problem']>('none') },
        fc.constantFrom<UploadPlan['problem']>(
          'not-image',
          'empty-file',
          'no-file',
          'wrong-field',
          'two-files',
          'bad-field',
          'nul-name',
          'not-multipart',
          'no-boundary',
          'truncated',
          'too-many-fields',
          'field-too-large',
        ),
      ),
      image: fc.constantFrom('png', 'jpg', 'gif', 'webp'),
      isImage: spec.accept === 'image' ? fc.constant(true) : fc.boolean(),
      size: fc.integer({ min: 16, max: 4096 }),
      name: fileName,
      fieldChoices: fc.tuple(
        ...op.fields.map(() =>
          fc.oneof(
            { weight: 3, arbitrary: fc.constant<'known'>('known') },
            fc.constantFrom<'absent' | 'empty' | 'zero' | 'random'>(
              'absent',
              'empty',
              'zero',
              'random',
            ),
          ),
        ),
      ),
      knownIndex: fc.nat(),
      randomId: fc.integer({ min: 1, max: MAX_ID }),
      extraField: fc.constantFrom(
        'note',
        '__proto__',
        'constructor[prototype][x]',
        '__proto__[isAdmin]',
        'a[b][c]',
        `${op.fields[0]?.name ?? 'x'}[]`,
      ),
      credential: credential(op, world),
      nameStar: fc.boolean(),
    })
    .map((p): RestCase => {
      const key = opKey(op);
      const boundary = `----fuzz${p.size}x${p.image}`;
      const data = Buffer.alloc(p.size, 0x41);
      if (p.isImage) IMAGE_HEADS[p.image].copy(data);
      let name = p.name.replaceAll('\u0000', '');
      // After the last separator: the server keeps only the name's last path segment.
      if (p.problem === 'nul-name') name = `${name}a\u0000b`;
      const file = (field = spec.field) => ({
        name: field,
        file: {
          name,
          type: 'image/png',
          data:
            p.problem === 'not-image'
              ? Buffer.from('%PDF-1.4 not an image at all, just text')
              : p.problem === 'empty-file'
                ? Buffer.alloc(0)
                : data,
          star: p.nameStar || p.problem === 'nul-name',
        },
      });
      // The form fields, each sent as chosen; some choices are refused.
      const fields: { name: string; value: string }[] = [];
      let badField = false;
      const notes: string[] = [];
      op.fields.forEach((f, i) => {
        const choice = p.fieldChoices[i];
        // An optional id (the caller's own avatar, no replied-to message) reads empty and
        // "0" as none; a required one refuses both.
        const emptyIsZero = idKind(f.schema) === 'optional-id';
        const min = idKind(f.schema) === 'id' ? 1 : (f.schema.minimum ?? 0);
        const value =
          choice === 'empty'
            ? ''
            : choice === 'zero'
              ? '0'
              : choice === 'known'
                ? String(
                    f.name === 'relation_id'
                      ? world.groupId
                      : world.ids[p.knownIndex % world.ids.length],
                  )
                : String(p.randomId);
        if (choice === 'absent') {
          if (f.required) badField = true;
        } else {
          fields.push({ name: f.name, value });
          if ((choice === 'empty' && !emptyIsZero) || (choice === 'zero' && min > 0))
            badField = true;
        }
        notes.push(`${f.name} ${choice}`);
      });
      if (p.problem === 'bad-field' && op.fields.length) {
        fields.splice(0, fields.length, { name: op.fields[0].name, value: 'abc-1' });
      }
      // A repeated field with an odd name: multer appends, never merges into a prototype.
      fields.push({ name: p.extraField, value: 'x' });
      if (p.problem === 'too-many-fields')
        for (let i = 0; i < 25; i++) fields.push({ name: `f${i}`, value: 'v' });
      if (p.problem === 'field-too-large')
        fields.push({ name: 'big', value: 'y'.repeat(17 * 1024) });
      const parts: Parameters<typeof multipart>[1] = [...fields];
      if (p.problem === 'wrong-field') parts.push(file('attachment'));
      else if (p.problem === 'two-files') parts.push(file(), file());
      else if (p.problem !== 'no-file') parts.push(file());
      let body = multipart(boundary, parts);
      let contentType = `multipart/form-data; boundary=${boundary}`;
      if (p.problem === 'not-multipart') contentType = 'application/json';
      if (p.problem === 'not-multipart') body = Buffer.from(JSON.stringify({ relation_id: 0 }));
      if (p.problem === 'no-boundary') contentType = 'multipart/form-data';
      if (p.problem === 'truncated') body = body.subarray(0, body.length - 30);
      const headers: Record<string, string> = { 'content-type': contentType };
      if (p.credential.header !== undefined)
        headers.authorization = headerSafe(p.credential.header);
      // A name that is empty once its path is cut off (busboy keeps the last segment, and
      // `.` or `..` is none) stands for "no file chosen", as a browser sends it: no file.
      const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
      const noName = base === '' || base === '.' || base === '..';
      // What the operation refuses: a file it does not take, no file, a bad field, a broken
      // form; `<field>[]` makes the first field an array (multer reads brackets): no id.
      const problem =
        p.problem === 'not-image' || p.problem === 'empty-file'
          ? spec.accept === 'image'
          : p.problem !== 'none';
      const invalid = problem || noName || badField || p.extraField === `${op.fields[0]?.name}[]`;
      // A control character inside a quoted name may end the header early; an empty file
      // where any file is taken: any documented answer.
      const star = p.nameStar || p.problem === 'nul-name';
      const unsure =
        !invalid &&
        ((!star && [...name].some((c) => c < ' ' || c === '\x7f')) || p.problem === 'empty-file');
      const codes =
        p.credential.code !== undefined
          ? [p.credential.code]
          : invalid
            ? [ErrorCode.InvalidParams]
            : unsure
              ? [...op.codes]
              : // A valid upload within the size limits: neither 1001 nor 8004.
                [...op.codes].filter(
                  (c) => c !== ErrorCode.InvalidParams && c !== ErrorCode.FileTooLarge,
                );
      return {
        kind:
          p.credential.code !== undefined
            ? 'rest:upload-bad-credential'
            : invalid
              ? `rest:upload-invalid`
              : 'rest:upload',
        method: op.method,
        path: op.path,
        headers,
        body,
        expect: {
          type: 'codes',
          codes,
          mentions:
            p.credential.code === undefined && invalid
              ? ['file', 'body', ...op.fields.map((f) => f.name)]
              : undefined,
        },
        note: `${key}: upload ${p.problem}, ${p.isImage ? p.image : 'document'} ${p.size} B, name ${JSON.stringify(name.slice(0, 60))}, ${notes.join(', ')}, extra field ${p.extraField}, credential ${p.credential.name}`,
      };
    });
}

// ---------------------------------------------------------------- paths

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/** Percent-encodes what may not appear raw on a request line. */
function pathSafe(p: string): string {
  return [...p].map((c) => (/^[\x21-\x7e]$/.test(c) ? c : encodeQueryValue(c))).join('');
}

function unknownRouteCase(ops: Operation[]): fc.Arbitrary<RestCase> {
  const routes = new Set(ops.map((o) => `${o.method} ${o.path.toLowerCase()}`));
  const randomPath = fc.oneof(
    fc.string({ maxLength: 30 }).map((s) => `/api/zz-${s}`),
    fc.string({ maxLength: 30 }).map((s) => `/zz${s}`),
    fc.constantFrom(
      '/api',
      '/api/',
      '/',
      '/api/msg/file',
      '/api/ping/extra',
      '/apiping',
      '/api/user',
      '/api/msg/list',
    ),
    fc.constantFrom(...ops.map((o) => o.path)).map((p) => `${p}/extra`),
    fc.integer({ min: 2000, max: 8000 }).map((n) => `/api/${'x'.repeat(n)}`),
  );
  return fc
    .record({
      method: fc.constantFrom(...METHODS),
      path: fc.oneof(randomPath, fc.constantFrom(...ops.map((o) => o.path))),
      withBody: fc.constantFrom('none', 'json', 'malformed'),
      auth: fc.boolean(),
    })
    .filter((r) => !routes.has(`${r.method} ${r.path.toLowerCase().replace(/\/$/, '')}`))
    .map((r): RestCase => {
      const headers: Record<string, string> = {};
      let body: Buffer | undefined;
      if (r.withBody !== 'none') {
        headers['content-type'] = 'application/json';
        body = Buffer.from(r.withBody === 'json' ? '{"a":1}' : '{"a":');
      }
      if (r.auth) headers.authorization = 'Bearer nope';
      return {
        kind: 'rest:unknown-route',
        method: r.method,
        path: pathSafe(r.path),
        headers,
        body,
        expect: { type: 'unknown' },
        note: `${r.method} ${r.path.slice(0, 80)} body ${r.withBody}`,
      };
    });
}

/** Paths that play with `..`, encodings and separators: a route, or no route; never a crash. */
function pathTrickCase(ops: Operation[]): fc.Arbitrary<RestCase> {
  const tricks = fc.constantFrom(
    (p: string) => p.replace('/api/', '/api/./'),
    (p: string) => p.replace('/api/', '/api//'),
    (p: string) => p.replace('/api/', '/x/../api/'),
    (p: string) => p.replace('/api/', '/api/%2e%2e/api/'),
    (p: string) => p.replace(/\/([^/]*)$/, '%2F$1'),
    (p: string) => `${p}%00`,
    (p: string) => `${p};jsessionid=1`,
    (p: string) => `${p}%20`,
    (p: string) => `${p}/.`,
    (p: string) => p.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
    (p: string) => `${p}?${'a=1&'.repeat(500)}`,
    (p: string) => `${p}?%`,
    (p: string) => `${p}?x=%E0%A4%A`,
    (p: string) => `${p}?x=%ED%A0%80`,
    (p: string) => `/%2e%2e${p}`,
    (p: string) => `${p}\u202e`,
    (p: string) => `${p}字`,
  );
  return fc
    .record({ op: fc.constantFrom(...ops), trick: tricks })
    .map(({ op, trick }): RestCase => {
      const path = pathSafe(trick(op.path));
      const codes = [...op.codes];
      return {
        kind: 'rest:path-trick',
        method: op.method,
        path,
        headers: op.auth === 'none' ? {} : { authorization: 'Bearer not-a-token' },
        expect: { type: 'route-or-unknown', codes },
        note: `${op.method} ${path.slice(0, 120)}`,
      };
    });
}

/** `/files/…` paths that try to leave the file store. */
const filesCase: fc.Arbitrary<RestCase> = fc
  .oneof(
    fc.constantFrom(
      '/files/../sentinel.txt',
      '/files/%2e%2e/sentinel.txt',
      '/files/..%2fsentinel.txt',
      '/files/..%2Fsentinel.txt',
      '/files/%2e%2e%2fsentinel.txt',
      '/files/.tmp/sentinel.txt',
      '/files/.%74mp/sentinel.txt',
      '/files//etc/passwd',
      '/files/%2fetc%2fpasswd',
      '/files/..%5c..%5csentinel.txt',
      '/files/%00',
      '/files/',
      '/files',
      '/files/a/../../sentinel.txt',
      '/files/%c0%ae%c0%ae/sentinel.txt',
      '/files/x?../../sentinel.txt',
      '/files/' + '../'.repeat(20) + 'etc/passwd',
      '/files/...',
      '/files/avatar/..',
    ),
    fc.string({ maxLength: 30 }).map((s) => `/files/${s}`),
  )
  .chain((path) =>
    fc.constantFrom('GET', 'HEAD', 'POST').map((method): RestCase => ({
      kind: 'rest:files-path',
      method,
      path: pathSafe(path),
      headers: {},
      expect: method === 'HEAD' ? { type: 'head', route: false } : { type: 'files' },
      note: `${method} ${path.slice(0, 80)}`,
    })),
  );

function preflightCase(ops: Operation[]): fc.Arbitrary<RestCase> {
  return fc
    .record({
      op: fc.constantFrom(...ops),
      head: fc.boolean(),
      random: fc.string({ maxLength: 10 }),
    })
    .map(({ op, head, random }): RestCase => {
      if (head && op.method === 'GET') {
        return {
          kind: 'rest:head',
          method: 'HEAD',
          path: op.path,
          headers: {},
          expect: { type: 'head', route: true },
          note: `HEAD ${op.path}`,
        };
      }
      const path = head ? pathSafe(`/zz${random}`) : op.path;
      return {
        kind: 'rest:preflight',
        method: 'OPTIONS',
        path,
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' },
        expect: { type: 'preflight' },
        note: `OPTIONS ${path}`,
      };
    });
}

/** Every kind of REST input, weighted; `ops` from the api's OpenAPI document. */
export function restCases(ops: Operation[], world: RestWorld): fc.Arbitrary<RestCase> {
  const jsonOps = ops.filter((o) => o.input !== 'multipart');
  const weighted = jsonOps.map((op) => ({
    weight: HASHING.has(opKey(op)) ? 1 : 10,
    arbitrary: routeCase(op, world),
  }));
  const uploads = ops.filter((o) => o.input === 'multipart' && o.upload);
  return fc.oneof(
    { weight: 80, arbitrary: fc.oneof(...weighted) },
    ...(uploads.length
      ? [{ weight: 8, arbitrary: fc.oneof(...uploads.map((o) => uploadCase(o, world))) }]
      : []),
    { weight: 5, arbitrary: unknownRouteCase(ops) },
    { weight: 4, arbitrary: pathTrickCase(ops) },
    { weight: 2, arbitrary: filesCase },
    { weight: 1, arbitrary: preflightCase(ops) },
  );
}

const TEN_MB = 10 * 1024 * 1024;

/**
 * Bodies of about 10 MB: JSON past the body limit (with and without a length), an image
 * past the image limit, an image just within it, a non-image, a body to no route.
 */
export function bigBodyCases(ops: Operation[], world: RestWorld): RestCase[] {
  const auth = { authorization: `Bearer ${world.accountToken}` };
  const bigJson = Buffer.concat([
    Buffer.from('{"name":"'),
    Buffer.alloc(TEN_MB, 0x61),
    Buffer.from('"}'),
  ]);
  const cases: RestCase[] = [
    {
      kind: 'rest:big-body',
      method: 'POST',
      path: '/api/group/create',
      headers: { ...auth, 'content-type': 'application/json' },
      body: bigJson,
      expect: { type: 'codes', codes: [ErrorCode.InvalidParams] },
      note: '10 MB JSON with a length',
    },
    {
      kind: 'rest:big-body',
      method: 'PUT',
      path: '/api/account/update',
      headers: { ...auth, 'content-type': 'application/json' },
      body: bigJson,
      chunked: true,
      expect: { type: 'codes', codes: [ErrorCode.InvalidParams] },
      note: '10 MB JSON, chunked',
    },
    {
      kind: 'rest:big-body',
      method: 'GET',
      path: '/api/ping',
      headers: { 'content-type': 'application/json' },
      body: bigJson,
      expect: { type: 'codes', codes: [ErrorCode.InvalidParams] },
      note: '10 MB JSON body on a GET',
    },
    {
      kind: 'rest:big-body',
      method: 'POST',
      path: '/api/group/create',
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      // 64 MB of JSON in 64 KB: the body limit applies to what it inflates to.
      body: gzipSync(
        Buffer.concat([
          Buffer.from('{"name":"'),
          Buffer.alloc(64 * 1024 * 1024, 0x61),
          Buffer.from('"}'),
        ]),
      ),
      expect: { type: 'codes', codes: [ErrorCode.InvalidParams] },
      note: 'gzip bomb: 64 MB of JSON compressed',
    },
    {
      kind: 'rest:big-body',
      method: 'POST',
      path: '/api/zz-no-route',
      headers: { 'content-type': 'application/octet-stream' },
      body: bigJson,
      expect: { type: 'unknown' },
      note: '10 MB to no route',
    },
  ];
  for (const op of ops.filter((o) => o.input === 'multipart' && o.upload)) {
    const spec = op.upload!;
    // The operation's first field names the conversation: the account's own avatar (0), or
    // the group the fuzzer's account is in.
    const form = (size: number, head: Buffer) => {
      const data = Buffer.alloc(size, 0x42);
      head.copy(data);
      const fields = op.fields
        .filter((f) => f.name === 'relation_id')
        .map((f) => ({
          name: f.name,
          value: idKind(f.schema) === 'id' ? String(world.groupId) : '0',
        }));
      return multipart('----fuzzbig', [
        ...fields,
        { name: spec.field, file: { name: '../../big.bin', type: 'image/png', data, star: false } },
      ]);
    };
    const headers = { ...auth, 'content-type': 'multipart/form-data; boundary=----fuzzbig' };
    const valid = [...op.codes].filter(
      (c) => c !== ErrorCode.InvalidParams && c !== ErrorCode.FileTooLarge,
    );
    const upload = (note: string, body: Buffer, codes: number[]): RestCase => ({
      kind: 'rest:big-body',
      method: op.method,
      path: op.path,
      headers,
      body,
      expect: { type: 'codes', codes },
      note: `${opKey(op)}: ${note}`,
    });
    const text = Buffer.from('plain text, no image');
    cases.push(
      upload(
        `image of ${spec.maxImageBytes} + 1 bytes`,
        form(spec.maxImageBytes + 1, IMAGE_HEADS.png),
        [ErrorCode.FileTooLarge],
      ),
      upload(
        'image of 10 MB, within the limit',
        form(Math.min(10_000_000, spec.maxImageBytes), IMAGE_HEADS.jpg),
        valid,
      ),
    );
    if (spec.accept === 'image') {
      cases.push(upload('10 MB that is no image', form(TEN_MB, text), [ErrorCode.InvalidParams]));
    } else {
      cases.push(
        upload(`file of ${spec.maxFileBytes} + 1 bytes`, form(spec.maxFileBytes + 1, text), [
          ErrorCode.FileTooLarge,
        ]),
        upload(`file of ${spec.maxFileBytes} bytes`, form(spec.maxFileBytes, text), valid),
        upload('10 MB that is no image', form(TEN_MB, text), [ErrorCode.FileTooLarge]),
      );
    }
  }
  return cases;
}

export { REQUEST_ID };
