/**
 * `npm run db:migrate`: applies pending migrations to `Postgresql.Url`, or to the embedded
 * database under `App.DataDir` when it is unset (the standalone server also migrates it at
 * start-up, so this is only needed there to migrate without starting), and prints each one
 * applied. Exit codes: 0 done (or nothing to do), 1 bad config or a failed migration.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '@chat/config';
import { createLogger } from '@chat/logger';
import { createDatabase, embeddedDatabaseDir, type DatabaseSelection } from '../create-database';
import { migrate } from '../migrate';
import type { Database } from '../open-database';

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    // Migrating signs nothing: Token.Key, which has no default, is not asked for here.
    config = loadConfig({ overrides: { Token: { Key: randomBytes(32).toString('base64url') } } });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const url = config.Postgresql.Url;
  const selection: DatabaseSelection = url
    ? { kind: 'postgres', url, poolMax: 1 }
    : { kind: 'embedded', dir: embeddedDatabaseDir(config.App.DataDir) };
  // Log lines go to stderr: stdout carries this command's output, the applied names.
  const log = createLogger({
    name: 'db-migrate',
    level: config.Log.Level,
    destination: process.stderr,
  });
  let db: Database | undefined;
  try {
    db = await createDatabase(selection, log);
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
