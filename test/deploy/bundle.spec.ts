import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
// Under the repository, so the bundles find node_modules as they do in the image.
const OUT = path.join(REPO, 'tmp', 'bundle-check');
const APPS = ['api', 'gateway', 'persister', 'notifier', 'mailer', 'migrate', 'config-check'];

/**
 * The image's build stage without an engine: `docker/bundle.cjs` bundles every app as the
 * Dockerfile does, and each bundle loads and reaches its config check, so every module it
 * needs was compiled in or is an installed production package.
 */
describe('the app bundles of the image', () => {
  beforeAll(() => {
    rmSync(OUT, { recursive: true, force: true });
    const built = spawnSync(process.execPath, ['docker/bundle.cjs', OUT], {
      cwd: REPO,
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`bundle.cjs failed:\n${built.stdout}${built.stderr}`);
  }, 120_000);

  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  it.each(APPS)('builds %s', (app) => {
    expect(existsSync(path.join(OUT, `${app}.js`))).toBe(true);
  });

  it('runs the config check from its bundle', () => {
    const ok = spawnSync(process.execPath, [path.join(OUT, 'config-check.js')], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, TOKEN_KEY: 'test-signing-key-7Hq2Xv9LmP4zR8sK1wN6bT3y' },
    });
    expect(ok.stderr).not.toMatch(/Cannot find module/);
    expect(ok.stdout).toContain('config: ok');
    expect(ok.status).toBe(0);
  });

  it.each(['api', 'gateway', 'persister', 'notifier', 'mailer'])(
    'loads %s and stops at a bad key with one line naming it',
    (app) => {
      const run = spawnSync(process.execPath, [path.join(OUT, `${app}.js`)], {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, TOKEN_KEY: 'short' },
      });
      expect(run.stderr).not.toMatch(/Cannot find module/);
      expect(run.stderr).toContain('Token.Key');
      expect(run.status).toBe(1);
    },
  );
});
