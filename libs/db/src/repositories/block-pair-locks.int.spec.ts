import { Client } from 'pg';
import { waitFor } from '@chat/testing';
import { openSuiteDatabase, TestData, testDatabaseKind, type SuiteDatabase } from '../testing';
import { PgBlockRepository } from './block.repository';

/**
 * The pair locks a group invitation takes on its invitees (`lockPairs`): each pair's lock is
 * held to the end of the transaction, so a block of the inviter by an invitee waits for the
 * invitation (and the invitation's check for blocks sees every block committed before), and
 * two invitations taking overlapping pairs in different orders never deadlock. Concurrent
 * transactions on a real Postgres (PGlite serves one at a time).
 */
(testDatabaseKind() === 'postgres' ? describe : describe.skip)('pair locks', () => {
  let suite: SuiteDatabase;
  let data: TestData;
  let observer: Client;

  beforeAll(async () => {
    suite = await openSuiteDatabase('db_pair_locks');
    data = new TestData(suite.db.em.fork());
    observer = new Client({ connectionString: suite.postgres!.databaseUrl });
    await observer.connect();
  });

  afterAll(async () => {
    await observer?.end();
    await suite?.cleanup();
  });

  async function waitingLocks(): Promise<number> {
    const { rows } = await observer.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
    );
    return Number(rows[0].n);
  }

  /** Runs `work` in a transaction with a block repository bound to it. */
  const inTransaction = <T>(work: (blocks: PgBlockRepository) => Promise<T>) =>
    suite.db.em.fork().transactional((em) => work(new PgBlockRepository(em)));

  it('holds every invitee pair until commit: a block of the inviter by one of them waits', async () => {
    const [inviter, b, c] = [await data.account(), await data.account(), await data.account()];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const invitation = inTransaction(async (blocks) => {
      await blocks.lockPairs(inviter.id, [b.id, c.id]);
      await gate;
    });
    // The invitation holds its locks (it waits on the gate, no lock wait of its own yet).
    await waitFor(
      async () => {
        const { rows } = await observer.query<{ n: string }>(
          `select count(*) as n from pg_locks
            where locktype = 'advisory' and granted
              and database = (select oid from pg_database where datname = current_database())`,
        );
        return Number(rows[0].n) >= 2;
      },
      { what: 'the invitation to hold its pair locks' },
    );
    let blocked = false;
    const block = inTransaction((blocks) => blocks.add(c.id, inviter.id)).then((r) => {
      blocked = true;
      return r;
    });
    await waitFor(async () => (await waitingLocks()) > 0, { what: 'the block to wait' });
    expect(blocked).toBe(false);
    release();
    await invitation;
    expect(await block).toEqual({ created: true, friendRelationId: null });
  });

  it('never deadlocks two transactions taking overlapping pairs in opposite orders', async () => {
    const inviter = await data.account();
    const others = [];
    for (let i = 0; i < 6; i++) others.push((await data.account()).id);
    const reversed = [...others].reverse();
    for (let round = 0; round < 20; round++) {
      // Each holds its locks for a moment, so the two overlap.
      const take = (ids: number[]) =>
        inTransaction(async (blocks) => {
          await blocks.lockPairs(inviter.id, ids);
          await new Promise((resolve) => setTimeout(resolve, 5));
        });
      await expect(Promise.all([take(others), take(reversed)])).resolves.toBeDefined();
    }
  });
});
