import type { Config } from '@chat/config';
import { openDatabase, type Database } from '@chat/db';
import type { Logger } from '@chat/logger';
import { requireDatabaseUrl } from './adapter-configs';
import type { Closable } from './close-in-order';

/**
 * The database of an app: the one a one-process runner shares (`given`, closed by its
 * owner), or the app's own on `Postgresql.Url`, which joins `started` to be closed with
 * the app.
 */
export async function appDatabase(
  config: Pick<Config, 'Postgresql'>,
  log: Logger,
  given: Database | undefined,
  started: Closable[],
): Promise<Database> {
  if (given) return given;
  const db = await openDatabase(
    { url: requireDatabaseUrl(config), poolMax: config.Postgresql.PoolMax },
    log,
  );
  started.push({ name: 'database', close: () => db.close() });
  return db;
}
