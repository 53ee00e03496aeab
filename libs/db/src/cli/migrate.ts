/**
 * `npm run db:migrate`: applies pending migrations to `Postgresql.Url` and prints each one
 * applied. Exit codes: 0 done (or nothing to do), 1 bad config or a failed migration.
 */
import { ConfigError, loadConfig } from '@chat/config';
import { createLogger } from '@chat/logger';
import { migrate } from '../migrate';
import { openDatabase, type Database } from '../open-database';

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const url = config.Postgresql.Url;
  if (url === undefined) {
    process.stderr.write(
      'Postgresql.Url: not set. Set it in config/app/private.yml or DATABASE_URL.\n',
    );
    return 1;
  }
  // Log lines go to stderr: stdout carries this command's output, the applied names.
  const log = createLogger({
    name: 'db-migrate',
    level: config.Log.Level,
    destination: process.stderr,
  });
  let db: Database | undefined;
  try {
    db = await openDatabase({ url, poolMax: 1 }, log);
    const applied = await migrate(db.orm, log);
    for (const name of applied) process.stdout.write(`applied ${name}\n`);
    process.stdout.write(
      applied.length > 0
        ? `db: ${applied.length} migration(s) applied\n`
        : 'db: schema is current, nothing to apply\n',
    );
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await db?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
