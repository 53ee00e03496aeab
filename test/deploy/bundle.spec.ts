import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
// Under the repository, so the bundles find node_modules as they do in the image.
const OUT = path.join(REPO, 'tmp', 'bundle-check');
const APPS = [
  'api',
  'gateway',
  'persister',
  'notifier',
  'mailer',
  'migrate',
  'config-check',
  'uws-check',
];
const TOKEN_KEY = 'test-signing-key-7Hq2Xv9LmP4zR8sK1wN6bT3y';
/** The uWebSockets.js addon this platform and Node load. */
const BINARY = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
const FALLBACK_REFUSAL =
  `uWebSockets.js loaded its JavaScript fallback, not its native build: the installed ` +
  `package has no ${BINARY} for Node ${process.versions.node}`;

/** The environment without the services' addresses: a bundle that got past its checks fails to connect. */
function withoutServices(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS']) delete env[name];
  return env;
}

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
      env: { ...process.env, TOKEN_KEY },
    });
    expect(ok.stderr).not.toMatch(/Cannot find module/);
    expect(ok.stdout).toContain('config: ok');
    expect(ok.status).toBe(0);
  });

  it('runs the uWebSockets.js check from its bundle: the native addon loads here', () => {
    const ok = spawnSync(process.execPath, [path.join(OUT, 'uws-check.js')], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe(
      `uws: native ${BINARY}, Node ${process.versions.node} (ABI ${process.versions.modules}) ` +
        `on ${process.platform} ${process.arch}\n`,
    );
    expect(ok.status).toBe(0);
  });

  it('fails the uWebSockets.js check when the package loads its JavaScript fallback', () => {
    // UWS_USE_FALLBACK makes the package's own loader return the fallback, as it does when
    // it has no addon for the platform and Node ABI.
    const run = spawnSync(process.execPath, [path.join(OUT, 'uws-check.js')], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, UWS_USE_FALLBACK: '1' },
    });
    expect(run.stdout).toContain('Using µWS fallback implementation');
    expect(run.stdout).not.toContain('uws: native');
    expect(run.stderr).toContain(`uws: ${FALLBACK_REFUSAL}`);
    expect(run.status).toBe(1);
  });

  it('refuses to start the gateway on the fallback, before it opens any adapter', () => {
    const run = spawnSync(process.execPath, [path.join(OUT, 'gateway.js')], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 30_000,
      env: withoutServices({ TOKEN_KEY, UWS_USE_FALLBACK: '1', LOG_PRETTY: 'false' }),
    });
    const lines = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; err?: { type: string; message: string } });
    expect(lines.map((line) => line.msg)).toEqual(['start failed']);
    expect(lines[0].err?.type).toBe('UwsFallbackError');
    expect(lines[0].err?.message).toContain(FALLBACK_REFUSAL);
    expect(run.status).toBe(1);
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
