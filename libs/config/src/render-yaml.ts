import YAML from 'yaml';
import { envName, isField, isRequired, type Field, type Tree } from './fields';
import { CONFIG_TREE } from './schema';

export type ConfigFile = 'public' | 'private.example';

const HEADERS: Record<ConfigFile, string[]> = {
  public: [
    'Committed defaults of every non-secret key. Generated from libs/config/src/schema.ts by',
    '`npm run config:example`; a test fails when it is stale. Override keys in private.yml',
    '(git-ignored) or the environment rather than editing this file.',
  ],
  'private.example': [
    'Every configuration key, documented. Copy to config/app/private.yml (git-ignored) and',
    'keep only what you change. Layers: public.yml, then private.yml, then the environment',
    '(each key also reads the variable named after it). Generated from',
    'libs/config/src/schema.ts by `npm run config:example`; a test fails when it is stale.',
  ],
};

function scalar(value: unknown): string {
  if (Array.isArray(value) || (typeof value === 'object' && value !== null)) {
    return JSON.stringify(value)
      .replace(/"(\w+)":/g, '$1: ')
      .replace(/,/g, ', ');
  }
  return YAML.stringify(value).trim();
}

/**
 * Written live in private.example.yml: required keys, except secrets. A secret's example is
 * a placeholder the loader refuses; a copy of the file must make its reader choose one.
 */
function isLive(f: Field): boolean {
  return isRequired(f) && !f.secret;
}

function hasLive(tree: Tree): boolean {
  return Object.values(tree).some((n) => (isField(n) ? isLive(n) : hasLive(n)));
}

/**
 * public.yml: every non-secret key that has a default. private.example.yml: every key with
 * its description and environment names; keys that must be set are live (secrets excepted),
 * the rest are commented out, so a copy changes nothing until a line is uncommented.
 */
function renderTree(tree: Tree, file: ConfigFile, path: string[], indent: string): string[] {
  const lines: string[] = [];
  for (const [key, node] of Object.entries(tree)) {
    const keys = [...path, key];
    if (isField(node)) {
      lines.push(...renderField(node, file, keys, indent));
      continue;
    }
    const inner = renderTree(node, file, keys, `${indent}  `);
    if (!inner.length) continue;
    const live = file === 'public' || hasLive(node);
    lines.push(`${indent}${live ? '' : '# '}${key}:`, ...inner);
  }
  return lines;
}

function renderField(f: Field, file: ConfigFile, keys: string[], indent: string): string[] {
  const key = keys[keys.length - 1];
  if (file === 'public') {
    return !f.secret && f.defaultValue !== undefined
      ? [`${indent}${key}: ${scalar(f.defaultValue)}`]
      : [];
  }
  const envs = [...new Set([envName(keys), ...f.env])].join(', ');
  const required = isRequired(f);
  const status = required ? ' Required.' : f.defaultValue === undefined ? ' Optional.' : '';
  const value = f.example ?? f.defaultValue;
  return [
    `${indent}# ${f.describe}${status} Env: ${envs}.`,
    `${indent}${isLive(f) ? '' : '# '}${key}: ${scalar(value)}`,
  ];
}

/** The text of config/app/public.yml or config/app/private.example.yml. */
export function renderConfigFile(file: ConfigFile): string {
  return (
    [...HEADERS[file].map((l) => `# ${l}`), ...renderTree(CONFIG_TREE, file, [], '')].join('\n') +
    '\n'
  );
}
