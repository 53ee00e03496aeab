/** `npm run config:check`: validates the configuration without starting anything. */
import { ConfigError, loadConfigWithDetails } from '../load-config';

try {
  const { warnings, sources } = loadConfigWithDetails();
  for (const w of warnings) process.stderr.write(`config: warning: ${w}\n`);
  process.stdout.write(`config: ok (${sources.join(', ') || 'defaults only'})\n`);
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(1);
}
