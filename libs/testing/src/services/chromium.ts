import { existsSync } from 'node:fs';
import { sh } from './run';

/** Where Debian's and Ubuntu's packages put Chromium. */
export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/lib/chromium/chromium',
];

/** apt can take minutes on a machine whose package lists are old: update, then install. */
const APT_INSTALL =
  'apt-get install -y -q --no-install-recommends chromium || ' +
  '(apt-get update -q && apt-get install -y -q --no-install-recommends chromium)';

/**
 * Makes sure the browser tests (apps/web) find a Chromium, as Postgres and Redis are made
 * sure of: nothing to do when `CHROMIUM_PATH` is set or Debian's package is installed;
 * otherwise, as root on a machine with apt, installs the `chromium` package. Never throws:
 * when it cannot install, the browser suite itself fails saying what to do.
 */
export async function ensureChromium(
  env: NodeJS.ProcessEnv,
  log: (msg: string) => void,
): Promise<void> {
  if (env.CHROMIUM_PATH || CHROMIUM_CANDIDATES.some((file) => existsSync(file))) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = (await sh('command -v apt-get || true')).trim();
  if (!root || !apt) {
    log(
      'chromium: not installed and cannot install it here (needs root and apt-get); ' +
        'the browser tests will fail: install chromium or set CHROMIUM_PATH',
    );
    return;
  }
  log('chromium: not installed; installing Debian package chromium for the browser tests');
  const started = Date.now();
  try {
    await sh(APT_INSTALL, 15 * 60_000);
    log(`chromium: installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (err) {
    log(`chromium: install failed, the browser tests will fail: ${(err as Error).message}`);
  }
}
