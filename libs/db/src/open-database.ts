import type { LoggerNamespace } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, defineConfig, type EntityManager, type Options } from '@mikro-orm/postgresql';
import { InfrastructureError } from '@chat/protocol';
import type { Logger } from 'pino';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { PinoOrmLogger } from './orm-logger';

export interface DatabaseConfig {
  /** `postgres://user:password@host:port/database`; the database must exist. */
  url: string;
  /** Largest number of pooled connections (`Postgresql.PoolMax`); default 10. */
  poolMax?: number;
  /** Log every SQL statement (without parameters) at pino's debug level. */
  debug?: boolean;
}

export interface Database {
  orm: MikroORM;
  /**
   * The global entity manager. Fork it per unit of work (`em.fork()`, or
   * `em.transactional(...)`): MikroORM refuses entity operations on the global one so
   * identity maps are never shared between requests.
   */
  em: EntityManager;
  /** Resolves when the database answers a trivial query; `/readyz` asks it. */
  ping(): Promise<void>;
  /** Closes the pool; safe to call more than once. */
  close(): Promise<void>;
}

/** What MikroORM logs in debug mode; never `query-params`, which would log values. */
const DEBUG_NAMESPACES: LoggerNamespace[] = ['query', 'info', 'discovery', 'schema'];

/** The URL with its password masked, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * MikroORM options for this schema. Everything that could depend on the environment or
 * the file system is pinned down, so the same options work bundled, under tsx and in Jest:
 * entities and migrations are listed explicitly, metadata comes from the schemas only,
 * and nothing is written to disk.
 */
export function createOrmConfig(cfg: DatabaseConfig, log: Logger): Options {
  return defineConfig({
    clientUrl: cfg.url,
    entities: ENTITIES,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    pool: { min: 0, max: cfg.poolMax ?? 10 },
    // Never create a missing database as a side effect of connecting (MikroORM's default).
    ensureDatabase: false,
    extensions: [Migrator],
    migrations: {
      migrationsList: MIGRATIONS,
      tableName: 'mikro_orm_migrations',
      // All pending migrations in one transaction: a failure leaves the schema unchanged.
      transactional: true,
      allOrNothing: true,
      // `session_replication_role` needs a superuser; the migrations never need it.
      disableForeignKeys: false,
      // MikroORM would otherwise write a schema snapshot file next to the process.
      snapshot: false,
      // Progress is reported by `migrate()` through pino instead.
      silent: true,
    },
    debug: cfg.debug ? DEBUG_NAMESPACES : false,
    colors: false,
    loggerFactory: (options) => new PinoOrmLogger(options, log.child({ component: 'db' })),
    // Knex, under MikroORM, logs through console.log by default: a pooled connection that
    // the server dropped (a Postgres restart) printed a bare "Connection Error: ..." line
    // among the JSON lines. Its messages go to pino too.
    driverOptions: { log: knexLog(log.child({ component: 'db', driver: 'knex' })) },
  });
}

/** Knex's logger hooks (`log.warn` and the others), writing pino lines. */
export function knexLog(
  log: Logger,
): Record<'debug' | 'warn' | 'error' | 'deprecate', (m: unknown) => void> {
  const text = (m: unknown) => (typeof m === 'string' ? m : JSON.stringify(m));
  return {
    debug: (m) => log.debug(text(m)),
    warn: (m) => log.warn(text(m)),
    error: (m) => log.error(text(m)),
    deprecate: (m) => log.warn(text(m)),
  };
}

/**
 * Connects to PostgreSQL and checks that the connection works: MikroORM itself only logs a
 * failed connection, so without the check the first query would be the one to fail.
 */
export async function openDatabase(cfg: DatabaseConfig, log: Logger): Promise<Database> {
  const where = redactDatabaseUrl(cfg.url);
  let orm: MikroORM;
  try {
    orm = await MikroORM.init(createOrmConfig(cfg, log));
  } catch (err) {
    throw new InfrastructureError(`database: cannot start MikroORM for ${where}`, err);
  }
  const check = await orm.checkConnection();
  if (!check.ok) {
    await orm.close(true).catch(() => undefined);
    throw new InfrastructureError(
      `database: cannot connect to ${where}: ${check.reason}`,
      check.error ?? check.reason,
    );
  }
  log.info({ database: where, poolMax: cfg.poolMax ?? 10 }, 'database connected');

  let closing: Promise<void> | undefined;
  return {
    orm,
    em: orm.em,
    ping: async () => {
      if (!(await orm.isConnected())) throw new Error('database: not connected');
    },
    close: () => (closing ??= orm.close(true)),
  };
}
