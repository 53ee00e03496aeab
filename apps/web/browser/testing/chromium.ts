import { existsSync } from 'node:fs';
import { CHROMIUM_CANDIDATES as CANDIDATES } from '@chat/testing';
import { chromium, type Browser } from 'playwright-core';

/** The Chromium binary the browser tests drive, or an error that says how to get one. */
export function chromiumPath(): string {
  const override = process.env.CHROMIUM_PATH;
  if (override) {
    if (!existsSync(override)) {
      throw new Error(`CHROMIUM_PATH is ${override}, which does not exist`);
    }
    return override;
  }
  const found = CANDIDATES.find((file) => existsSync(file));
  if (!found) {
    throw new Error(
      `No Chromium found (looked at ${CANDIDATES.join(', ')}). The browser tests need one: ` +
        'install it with `apt-get install -y chromium` (`npm test` does this as root on a machine with apt), or set CHROMIUM_PATH ' +
        'to a Chromium or Chrome binary.',
    );
  }
  return found;
}

/** Headless Chromium; `--no-sandbox` because CI runs as root, where the sandbox cannot start. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}
