import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { storedTokenKey } from './token-key';

const configDir = path.resolve(__dirname, '../../../config/app');

describe('storedTokenKey', () => {
  let dataDir: string;
  const load = (env: Record<string, string> = {}) =>
    storedTokenKey({ dir: configDir, env: { DATA_DIR: dataDir, ...env } });

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'token-key-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates a random key in the data folder on first use, readable by its owner only, then reuses it', async () => {
    const first = load();
    expect(first).toMatchObject({ created: true, file: path.join(dataDir, 'token.key') });
    expect(first!.key.length).toBeGreaterThanOrEqual(32);
    expect((await readFile(first!.file, 'utf8')).trim()).toBe(first!.key);
    expect((await stat(first!.file)).mode & 0o077).toBe(0);

    expect(load()).toEqual({ ...first, created: false });
  });

  it('leaves a configured key alone, and a config with other problems to start-up', () => {
    expect(load({ TOKEN_KEY: 'test-signing-key-7Hq2Xv9LmP4zR8sK1wN6bT3y' })).toBeUndefined();
    expect(load({ TOKEN_KEY: 'short' })).toBeUndefined();
    expect(load({ PORT: 'not-a-port' })).toBeUndefined();
  });
});
