import path from 'node:path';
import type { Logger } from 'pino';
import { startEmbeddedPostgres } from './embedded/embedded-postgres';
import { openDatabase, type Database } from './open-database';

/**
 * Which database backs the database port (docs/architecture.md, ports and adapters): PostgreSQL
 * when `Postgresql.Url` is set, else the embedded PGlite under `<App.DataDir>/db`.
 */
export type DatabaseSelection =
  { kind: 'postgres'; url: string; poolMax: number } | { kind: 'embedded'; dir: string };

/** Where the embedded database lives inside `App.DataDir`. */
export function embeddedDatabaseDir(dataDir: string): string {
  return path.join(dataDir, 'db');
}

/**
 * The one place that picks the database adapter (docs/development.md §2); logs which one is in use. Both
 * are reached through the same MikroORM code. The embedded database takes a pool of one
 * connection (it is one session); closing the returned database also stops it.
 */
export async function createDatabase(cfg: DatabaseSelection, log: Logger): Promise<Database> {
  switch (cfg.kind) {
    case 'postgres': {
      log.info({ port: 'database', adapter: 'postgres' }, 'database adapter');
      return openDatabase({ url: cfg.url, poolMax: cfg.poolMax }, log);
    }
    case 'embedded': {
      log.info({ port: 'database', adapter: 'pglite', dir: cfg.dir }, 'database adapter');
      const server = await startEmbeddedPostgres({ dir: cfg.dir }, log);
      let db: Database;
      try {
        db = await openDatabase({ url: server.url, poolMax: 1 }, log);
      } catch (err) {
        await server.close();
        throw err;
      }
      let closing: Promise<void> | undefined;
      return {
        ...db,
        close: () =>
          (closing ??= (async () => {
            try {
              await db.close();
            } finally {
              await server.close();
            }
          })()),
      };
    }
    default: {
      const unknownKind: never = cfg;
      throw new Error(`unknown database kind ${JSON.stringify(unknownKind)}`);
    }
  }
}
