import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { envName, isField, leaves, type Tree } from './fields';
import { CONFIG_TREE, type Config } from './schema';

/** Start-up stops with this: one line per problem, each naming the key and the fix. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `config: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
        problems.map((p) => `  ${p}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Folder holding public.yml and private.yml; default `CONFIG_DIR` or ./config/app. */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** Values that win over every layer (used by tests and the standalone runner). */
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  /** Keys that were given but mean nothing (usually typos); log them as warnings. */
  warnings: string[];
  /** Where each layer came from, for the start-up log. */
  sources: string[];
}

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Raw, v) : v;
  }
  return out;
}

function setPath(obj: Raw, keys: string[], value: unknown): void {
  let node = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isObject(node[k])) node[k] = {};
    node = node[k] as Raw;
  }
  node[keys[keys.length - 1]] = value;
}

function getPath(obj: unknown, keys: readonly PropertyKey[]): unknown {
  let node = obj;
  for (const k of keys) {
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[k];
  }
  return node;
}

function readYaml(file: string, problems: string[]): Raw {
  if (!existsSync(file)) return {};
  try {
    const doc = YAML.parse(readFileSync(file, 'utf8')) as unknown;
    if (doc === null || doc === undefined) return {};
    if (!isObject(doc)) {
      problems.push(`${file}: the file must hold a mapping of sections (App:, Token:, ...).`);
      return {};
    }
    return doc;
  } catch (err) {
    problems.push(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    return {};
  }
}

/** Environment values are text; lists and mappings may be written as YAML/JSON. */
function fromEnv(text: string): unknown {
  const t = text.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      return YAML.parse(t);
    } catch {
      return t;
    }
  }
  return t;
}

function toSchema(tree: Tree): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, node] of Object.entries(tree)) {
    shape[key] = isField(node) ? node.schema : toSchema(node);
  }
  return z.object(shape).prefault({});
}

function unknownKeys(raw: unknown, tree: Tree, prefix: string[] = []): string[] {
  if (!isObject(raw)) return [];
  return Object.entries(raw).flatMap(([key, value]) => {
    const node = (tree as Record<string, Tree[string] | undefined>)[key];
    const here = [...prefix, key].join('.');
    if (!node) return [`${here}: unknown key, ignored (a typo?)`];
    return isField(node) ? [] : unknownKeys(value, node, [...prefix, key]);
  });
}

/**
 * What is wrong with one value. A secret key's value is never shown: the message names its
 * type or length only, as a log line or a terminal may be read by others.
 */
function describeIssue(issue: z.core.$ZodIssue, value: unknown, secret = false): string {
  if (secret && value !== undefined) {
    const given =
      typeof value === 'string'
        ? 'a string'
        : Array.isArray(value)
          ? 'a list'
          : typeof value === 'object' && value !== null
            ? 'a mapping'
            : typeof value;
    if (issue.code === 'invalid_type') {
      return `must be ${issue.expected === 'number' ? 'a number' : issue.expected}, got ${given} (value not shown: a secret)`;
    }
    if (issue.code === 'too_small' || issue.code === 'too_big') {
      return describeIssue(issue, value);
    }
    return `${issue.message} (value not shown: a secret)`;
  }
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'not set';
      return `must be ${issue.expected === 'number' ? 'a number' : issue.expected}, got ${JSON.stringify(value)}`;
    case 'too_small':
      if (issue.origin === 'string')
        return `too short (${[...String(value)].length} characters, need at least ${issue.minimum})`;
      if (issue.origin === 'array') return `needs at least ${issue.minimum} entries`;
      return `must be at least ${issue.minimum}, got ${String(value)}`;
    case 'too_big':
      if (issue.origin === 'string')
        return `too long (${[...String(value)].length} characters, at most ${issue.maximum})`;
      if (issue.origin === 'array') return `takes at most ${issue.maximum} entries`;
      return `must be at most ${issue.maximum}, got ${String(value)}`;
    case 'invalid_value':
      return `${JSON.stringify(value)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `${JSON.stringify(value)} ${issue.message}`;
    default:
      return issue.message;
  }
}

/** Checks that involve several keys; each names the key to change. */
function crossChecks(c: Config): string[] {
  const out: string[] = [];
  const pair = (lo: number, hi: number, loKey: string, hiKey: string) => {
    if (lo > hi)
      out.push(`${loKey}: ${lo} is larger than ${hiKey} (${hi}). Lower it or raise ${hiKey}.`);
  };
  pair(c.Rule.PasswordLenMin, c.Rule.PasswordLenMax, 'Rule.PasswordLenMin', 'Rule.PasswordLenMax');
  pair(c.Rule.UsernameLenMin, c.Rule.UsernameLenMax, 'Rule.UsernameLenMin', 'Rule.UsernameLenMax');
  pair(c.Page.DefaultPageSize, c.Page.MaxPageSize, 'Page.DefaultPageSize', 'Page.MaxPageSize');
  const oss = c.AliyunOSS;
  const ossKeys = ['Endpoint', 'AccessKeyID', 'AccessKeySecret', 'BucketName'] as const;
  const set = ossKeys.filter((k) => oss[k] !== undefined);
  if (set.length > 0 && set.length < ossKeys.length) {
    for (const k of ossKeys.filter((k) => oss[k] === undefined)) {
      out.push(
        `AliyunOSS.${k}: not set while ${set.map((s) => `AliyunOSS.${s}`).join(', ')} ${set.length === 1 ? 'is' : 'are'}. ` +
          `Set all four OSS keys (or none, for local disk) in config/app/private.yml or ${envName(['AliyunOSS', k])}.`,
      );
    }
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Loads `public.yml` (committed defaults), then `private.yml` (secrets, optional), then the
 * environment (each key's mechanical name such as `TOKEN_KEY`, plus the short names of
 * docs/architecture.md such as `DATABASE_URL`), validates everything at once and returns a
 * frozen config. Throws `ConfigError` listing every problem.
 */
export function loadConfigWithDetails(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const dir = options.dir ?? env.CONFIG_DIR ?? path.resolve(process.cwd(), 'config/app');
  const problems: string[] = [];
  const sources: string[] = [];

  let raw: Raw = {};
  for (const name of ['public.yml', 'private.yml']) {
    const file = path.join(dir, name);
    if (existsSync(file)) sources.push(file);
    raw = deepMerge(raw, readYaml(file, problems));
  }
  const warnings = unknownKeys(raw, CONFIG_TREE);

  for (const { path: keys, field } of leaves(CONFIG_TREE)) {
    for (const name of [envName(keys), ...field.env]) {
      const text = env[name];
      if (text !== undefined && text !== '') {
        setPath(raw, keys, fromEnv(text));
        sources.push(`env ${name}`);
        break;
      }
    }
  }
  if (options.overrides) raw = deepMerge(raw, options.overrides);

  const result = toSchema(CONFIG_TREE).safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const issuePath = issue.path.map(String);
      const leaf = leaves(CONFIG_TREE).find(
        (l) => l.path.join('.') === issuePath.slice(0, l.path.length).join('.'),
      );
      // A list given as one string (KAFKA_BROKERS=a:1,b:2) has no element in the raw input:
      // report such an issue at the key itself, with the text that was given.
      const atIssue = getPath(raw, issue.path);
      const shown = atIssue === undefined && leaf ? leaf.path : issuePath;
      const value = atIssue ?? (leaf ? getPath(raw, leaf.path) : undefined);
      problems.push(
        `${shown.join('.')}: ${describeIssue(issue, value, leaf?.field.secret === true)}. ` +
          `Set it in config/app/private.yml or ${envName(leaf ? leaf.path : issuePath)}.`,
      );
    }
    throw new ConfigError(problems);
  }
  const config = result.data as Config;
  problems.push(...crossChecks(config));
  if (problems.length) throw new ConfigError(problems);
  return { config: deepFreeze(config), warnings, sources };
}

export function loadConfig(options: LoadOptions = {}): Config {
  return loadConfigWithDetails(options).config;
}

/** A copy safe to log: every secret key replaced by `[redacted]` when set. */
export function redactConfig(config: Config): unknown {
  const copy = JSON.parse(JSON.stringify(config)) as Raw;
  for (const { path: keys, field } of leaves(CONFIG_TREE)) {
    if (field.secret && getPath(copy, keys) !== undefined) setPath(copy, keys, '[redacted]');
  }
  return copy;
}
