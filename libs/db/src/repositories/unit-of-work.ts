import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The entity manager of one repository call: a fresh fork (its own identity map) that
 * joins the transaction `inTransaction` holds open around the call, if any. So every
 * repository a unit of work calls writes in that one transaction, and a repository's own
 * `transactional` nests in it as a savepoint; outside a unit of work this is a plain fork.
 * `root` is the global entity manager (`Database.em`), through which MikroORM finds the
 * open transaction of the current async context.
 */
export function joinWork(root: EntityManager): EntityManager {
  return root.fork({ keepTransactionContext: true });
}

/**
 * Runs `work` in one database transaction: committed when it resolves, rolled back when it
 * throws. The repositories built on `root` that `work` calls take part (`joinWork`), so
 * the change and the records its outbox rows carry commit together or not at all.
 */
export function inTransaction<T>(
  root: EntityManager,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  return root.transactional(work);
}
