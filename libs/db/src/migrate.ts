import type { MikroORM } from '@mikro-orm/postgresql';
import type { Migrator } from '@mikro-orm/migrations';
import { InfrastructureError } from '@chat/protocol';
import type { Logger } from 'pino';

/**
 * Applies every pending migration in one transaction (so a failure leaves the schema as it
 * was) and returns the names applied, oldest first; `[]` when the schema is current.
 *
 * Run it from one place at a time (the `db:migrate` CLI, or one process at start-up): two
 * concurrent runs do not corrupt anything, but the loser fails on the tables the other
 * created and must be re-run.
 */
export async function migrate(orm: MikroORM, log: Logger): Promise<string[]> {
  const migrator = orm.getMigrator<Migrator>();
  try {
    const applied = (await migrator.up()).map((m) => m.name);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
    else log.debug('database schema is current');
    return applied;
  } catch (err) {
    // Not retryable: a migration that failed once fails the same way again.
    throw new InfrastructureError(
      `database: migration failed: ${err instanceof Error ? err.message : String(err)}`,
      err,
      false,
    );
  }
}

/** Names of the migrations not yet applied, oldest first. */
export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  return (await orm.getMigrator<Migrator>().getPendingMigrations()).map((m) => m.name);
}
