import ms from 'ms';
import { z } from 'zod';

/**
 * One leaf of the config tree: its zod schema (type and default), the line that documents
 * it, and how it is reached from the environment. The tree of fields is the single source
 * of truth for validation, env names and the generated YAML files (docs/development.md §5).
 */
export interface Field<T = unknown> {
  readonly kind: 'field';
  readonly schema: z.ZodType<T>;
  readonly describe: string;
  /** Value shown in the generated files; defaults to the schema default. */
  readonly example?: unknown;
  /** Secrets are redacted when config is logged and left out of public.yml. */
  readonly secret: boolean;
  /** Extra environment names (the architecture's short ones, e.g. DATABASE_URL). */
  readonly env: readonly string[];
  /** Default value, when the key may be omitted. */
  /** Default as written in YAML (`"60s"`), when the key may be omitted. */
  readonly defaultValue?: unknown;
  /** May be left unset (absent means "not configured", e.g. use the embedded adapter). */
  readonly optional: boolean;
}

interface Common<T> {
  describe: string;
  default?: T;
  example?: unknown;
  secret?: boolean;
  env?: string[];
  optional?: boolean;
}

/** `default` is written as in YAML (`"60s"`) and parsed like any given value (prefault). */
function field<T>(schema: z.ZodType<T>, opts: Common<unknown>): Field<T> {
  const withDefault =
    opts.default === undefined ? schema : (schema.prefault(opts.default as never) as z.ZodType<T>);
  return {
    kind: 'field',
    schema: withDefault,
    describe: opts.describe,
    example: opts.example,
    secret: opts.secret ?? false,
    env: opts.env ?? [],
    defaultValue: opts.default,
    optional: opts.optional ?? false,
  };
}

/** Strings from the environment become numbers; YAML numbers pass through. */
const toNumber = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v);

export function int(opts: Common<number> & { min?: number; max?: number }): Field<number> {
  let s = z.number().int();
  if (opts.min !== undefined) s = s.min(opts.min);
  if (opts.max !== undefined) s = s.max(opts.max);
  return field(z.preprocess(toNumber, s) as z.ZodType<number>, opts);
}

export function bool(opts: Common<boolean>): Field<boolean> {
  const toBool = (v: unknown) =>
    v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v;
  return field(z.preprocess(toBool, z.boolean()) as z.ZodType<boolean>, opts);
}

export function str(
  opts: Common<string> & {
    min?: number;
    max?: number;
    pattern?: [RegExp, string];
    /** Further check: the problem with a value (named with its fix), or undefined. */
    check?: (value: string) => string | undefined;
  },
): Field<string> {
  let s = z.string();
  if (opts.min !== undefined) s = s.min(opts.min);
  if (opts.max !== undefined) s = s.max(opts.max);
  if (opts.pattern) s = s.regex(opts.pattern[0], { message: opts.pattern[1] });
  const check = opts.check;
  if (!check) return field(s, opts);
  const checked = s.superRefine((value, ctx) => {
    const problem = check(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
  return field(checked, opts);
}

/** An optional string: absent or empty means "not configured" (undefined). */
export function optionalStr(
  opts: Omit<Common<string>, 'default'> & { pattern?: [RegExp, string] },
): Field<string | undefined> {
  let s = z.string();
  if (opts.pattern) s = s.regex(opts.pattern[0], { message: opts.pattern[1] });
  const schema = z.preprocess(
    (v) => (v === '' || v === null ? undefined : v),
    s.optional(),
  ) as z.ZodType<string | undefined>;
  return field(schema, { ...opts, optional: true });
}

/** True when start-up fails without this key. */
export function isRequired(f: Field): boolean {
  return f.defaultValue === undefined && !f.optional;
}

export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  opts: Common<T[number]>,
): Field<T[number]> {
  return field(z.enum(values) as unknown as z.ZodType<T[number]>, opts);
}

/**
 * A duration written like `60s`, `1h`, `500ms` or `1.5h`; the loaded value is milliseconds.
 * Bare numbers are refused because their unit would be a guess.
 */
export function duration(opts: Common<string> & { minMs?: number }): Field<number> {
  const schema = z.string().transform((text, ctx) => {
    const value = ms(text as ms.StringValue);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration. Example: 60s, 1h` });
      return z.NEVER;
    }
    if (opts.minMs !== undefined && value < opts.minMs) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is shorter than ${ms(opts.minMs)}` });
      return z.NEVER;
    }
    return value;
  });
  return field<number>(schema, opts);
}

const HOST_PORT = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;

/** A comma-separated (or YAML list) set of `host:port` brokers; empty means not configured. */
export function brokerList(opts: Omit<Common<string[]>, 'default'>): Field<string[] | undefined> {
  const schema = z.preprocess(
    (v) => {
      if (v === '' || v === null || v === undefined) return undefined;
      if (typeof v === 'string')
        return v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      return v;
    },
    z
      .array(z.string().regex(HOST_PORT, { message: 'is not host:port. Example: 127.0.0.1:9092' }))
      .min(1)
      .optional(),
  ) as z.ZodType<string[] | undefined>;
  return field(schema, { ...opts, optional: true });
}

/** A rate window: at most `Count` requests per `Window`. */
export interface RateWindow {
  Count: number;
  Window: number;
}

/** A list of rate windows, all of which must allow a request; an empty list disables it. */
export function rateWindows(
  opts: Common<{ Count: number; Window: string }[]>,
): Field<RateWindow[]> {
  const window = z.object({
    Count: z.preprocess(toNumber, z.number().int().min(0)),
    Window: duration({ describe: 'window length' }).schema,
  });
  return field<RateWindow[]>(z.array(window) as z.ZodType<RateWindow[]>, opts);
}

export type Tree = { readonly [key: string]: Field | Tree };

export function isField(node: Field | Tree): node is Field {
  return (node as Field).kind === 'field';
}

/** Every leaf with its dotted path, in declaration order. */
export function leaves(tree: Tree, prefix: string[] = []): { path: string[]; field: Field }[] {
  return Object.entries(tree).flatMap(([key, node]) =>
    isField(node) ? [{ path: [...prefix, key], field: node }] : leaves(node, [...prefix, key]),
  );
}

/**
 * The mechanical environment name of a key: each path segment in UPPER_SNAKE case, joined
 * by `_` (`Token.UserTokenDuration` → `TOKEN_USER_TOKEN_DURATION`,
 * `Limit.APILimit.Email` → `LIMIT_API_LIMIT_EMAIL`, `AliyunOSS.AccessKeyID` →
 * `ALIYUN_OSS_ACCESS_KEY_ID`).
 */
export function envName(path: readonly string[]): string {
  return path
    .map((seg) =>
      seg
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
        .toUpperCase(),
    )
    .join('_');
}
