import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfigWithDetails, type LoadOptions } from '@chat/config';

/** A signing key kept in the data folder, for a server started with no key configured. */
export interface StoredTokenKey {
  key: string;
  file: string;
  /** Created by this start (first start on this data folder). */
  created: boolean;
}

/** Long enough for `Token.Key` (at least 32 characters), random. */
const KEY_BYTES = 32;
/** Stands in for the key while reading the rest of the config (never used to sign). */
const PLACEHOLDER = randomBytes(KEY_BYTES).toString('base64url');

/**
 * `Token.Key` has no default, and `npm start` must work with no private.yml: when neither
 * config/app/*.yml nor TOKEN_KEY sets it, the standalone server signs with a random key
 * kept in `<App.DataDir>/token.key`, created on the first start, so tokens stay valid across
 * restarts. Returns `undefined` when a key is configured, or when the config has other
 * problems (start-up then reports them all).
 */
export function storedTokenKey(
  options: Omit<LoadOptions, 'overrides'> = {},
): StoredTokenKey | undefined {
  if (!isOnlyKeyMissing(options)) return undefined;
  const { DataDir } = loadConfigWithDetails({
    ...options,
    overrides: { Token: { Key: PLACEHOLDER } },
  }).config.App;
  const file = path.resolve(DataDir, 'token.key');
  try {
    return { key: readFileSync(file, 'utf8').trim(), file, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(KEY_BYTES).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, file, created: true };
}

/** Whether the config loads once a key is supplied, and fails without one for that reason. */
function isOnlyKeyMissing(options: Omit<LoadOptions, 'overrides'>): boolean {
  try {
    loadConfigWithDetails({ ...options, overrides: { Token: { Key: PLACEHOLDER } } });
  } catch {
    return false;
  }
  try {
    loadConfigWithDetails(options);
    return false;
  } catch (err) {
    return (
      err instanceof ConfigError && err.problems.some((p) => p.startsWith('Token.Key: not set'))
    );
  }
}
