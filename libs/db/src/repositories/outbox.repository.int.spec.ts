import { openSuiteDatabase, TestData, testDatabaseKind, type SuiteDatabase } from '../testing';
import type { Database } from '../open-database';
import { PgAccountRepository } from './account.repository';
import { PgApplicationRepository } from './application.repository';
import { OutboxRepository, type OutboxRecord, type OutboxRow } from './outbox.repository';
import { inTransaction } from './unit-of-work';

/**
 * The transactional outbox against a real database, Postgres and the embedded PGlite
 * (docs/architecture.md, guarantees: events after commit, through an outbox).
 */
describe('outbox repository', () => {
  let suite: SuiteDatabase;
  let db: Database;
  let outbox: OutboxRepository;
  let applications: PgApplicationRepository;
  let accounts: PgAccountRepository;
  let data: TestData;

  beforeAll(async () => {
    suite = await openSuiteDatabase('db_outbox');
    db = suite.db;
    outbox = new OutboxRepository(db.em);
    applications = new PgApplicationRepository(db.em);
    accounts = new PgAccountRepository(db.em);
    data = new TestData(db.em.fork());
  });

  afterAll(async () => {
    await suite?.cleanup();
  });

  beforeEach(async () => {
    await query('delete from outbox');
  });

  const query = <T>(sql: string, params: unknown[] = []) =>
    db.em.fork().getConnection().execute<T[]>(sql, params);

  const record = (n: number, key = 'relation:1'): OutboxRecord => ({
    topic: 'chat.events',
    key,
    value: JSON.stringify({ n, text: `it's "event" ${n} \\ 成为好友` }),
  });

  const waiting = async () =>
    (await query<{ value: string }>('select value from outbox order by id')).map(
      (r) => JSON.parse(r.value).n as number,
    );

  /** Every row the relay hands over, step by step, until a step publishes nothing. */
  async function drain(limit = 100, exclusive = false): Promise<OutboxRow[][]> {
    const steps: OutboxRow[][] = [];
    for (;;) {
      const published: OutboxRow[] = [];
      const step = await outbox.relay(limit, async (rows) => void published.push(...rows), {
        exclusive,
      });
      expect(step).toEqual({ locked: true, published: published.length });
      if (!published.length) return steps;
      steps.push(published);
    }
  }

  it('commits the records of a unit of work with its change', async () => {
    const [a, b] = [await data.account(), await data.account()];
    await data.application(a, b);
    const done = await inTransaction(db.em, async () => {
      const accepted = await applications.accept(a.id, b.id);
      await outbox.append([record(1), record(2)]);
      return accepted;
    });
    expect(done).toMatchObject({ application: { status: '已同意' } });
    expect(await waiting()).toEqual([1, 2]);
  });

  it('keeps neither the change nor its records when the unit of work throws', async () => {
    const [a, b] = [await data.account(), await data.account()];
    await expect(
      inTransaction(db.em, async () => {
        await applications.create(a.id, b.id, 'never sent');
        await outbox.append([record(1)]);
        throw new Error('refused after the change');
      }),
    ).rejects.toThrow('refused after the change');
    expect((await applications.listOf(a.id, 1, 10)).total).toBe(0);
    expect(await waiting()).toEqual([]);
  });

  it('sees the unit of work’s own writes in every repository it calls', async () => {
    const [a, b] = [await data.account(), await data.account()];
    await inTransaction(db.em, async () => {
      await applications.create(a.id, b.id, 'inside');
      expect((await applications.listOf(b.id, 1, 10)).total).toBe(1);
    });
  });

  it('stays usable after a repository’s own transaction failed inside it', async () => {
    const owner = await data.user();
    const fields = { name: 'taken', gender: '未知' as const, signature: '', avatar: 'a.png' };
    await accounts.createWithSelf({ userId: owner.id, maxPerUser: 5, ...fields });
    const second = await inTransaction(db.em, async () => {
      // The unique violation rolls back to the repository's savepoint, not the whole unit.
      const taken = await accounts.createWithSelf({ userId: owner.id, maxPerUser: 5, ...fields });
      await outbox.append([record(7)]);
      return taken;
    });
    expect(second).toBe('name_taken');
    expect(await waiting()).toEqual([7]);
  });

  it('refuses to write records outside a transaction', async () => {
    await expect(outbox.append([record(1)])).rejects.toThrow(/inside the transaction/);
    expect(await waiting()).toEqual([]);
  });

  it('relays the oldest rows first, in batches, and deletes what was published', async () => {
    await inTransaction(db.em, () => outbox.append([1, 2, 3, 4, 5].map((n) => record(n))));
    const steps = await drain(2);
    expect(steps.map((s) => s.map((r) => JSON.parse(r.value).n))).toEqual([[1, 2], [3, 4], [5]]);
    expect(steps[0][0]).toMatchObject({ topic: 'chat.events', key: 'relation:1' });
    expect(JSON.parse(steps[0][0].value)).toEqual({ n: 1, text: `it's "event" 1 \\ 成为好友` });
    const ids = steps.flat().map((r) => r.id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(await waiting()).toEqual([]);
  });

  it('keeps the rows of a failed publish and hands them over again, in the same order', async () => {
    await inTransaction(db.em, () => outbox.append([record(1), record(2, 'account:9')]));
    await expect(
      outbox.relay(10, () => Promise.reject(new Error('bus down')), { exclusive: false }),
    ).rejects.toThrow('bus down');
    expect(await waiting()).toEqual([1, 2]);
    const steps = await drain();
    expect(steps.flat().map((r) => [JSON.parse(r.value).n, r.key])).toEqual([
      [1, 'relation:1'],
      [2, 'account:9'],
    ]);
  });

  it('reports the rows waiting and the age of the oldest', async () => {
    expect(await outbox.backlog()).toEqual({ rows: 0, oldestAgeMs: 0 });
    await query(`insert into outbox (topic, key, value, create_at)
                 values ('chat.events', 'k', '{}', now() - interval '5 seconds')`);
    await inTransaction(db.em, () => outbox.append([record(2)]));
    const backlog = await outbox.backlog();
    expect(backlog.rows).toBe(2);
    expect(backlog.oldestAgeMs).toBeGreaterThanOrEqual(5000);
    expect(backlog.oldestAgeMs).toBeLessThan(60_000);
  });

  // Several relays take turns on a server database; the embedded one has one relay.
  (testDatabaseKind() === 'postgres' ? describe : describe.skip)(
    'relays of several processes',
    () => {
      it('let one relay at a time publish; the other finds the outbox locked', async () => {
        await inTransaction(db.em, () => outbox.append([1, 2, 3].map((n) => record(n))));
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let entered!: () => void;
        const inPublish = new Promise<void>((r) => (entered = r));
        const first: number[] = [];
        const slow = outbox.relay(
          2,
          async (rows) => {
            first.push(...rows.map((r) => JSON.parse(r.value).n));
            entered();
            await held;
          },
          { exclusive: true },
        );
        await inPublish;
        const other = new OutboxRepository(db.em);
        expect(await other.relay(10, () => Promise.resolve(), { exclusive: true })).toEqual({
          locked: false,
        });
        release();
        expect(await slow).toEqual({ locked: true, published: 2 });
        expect(first).toEqual([1, 2]);
        const rest = await drain(10, true);
        expect(rest.flat().map((r) => JSON.parse(r.value).n)).toEqual([3]);
      });

      it('leave the rows of a relay that died mid-step to the next one', async () => {
        await inTransaction(db.em, () => outbox.append([record(1), record(2)]));
        await expect(
          outbox.relay(10, () => Promise.reject(new Error('process gone')), { exclusive: true }),
        ).rejects.toThrow('process gone');
        expect((await drain(10, true)).flat().map((r) => JSON.parse(r.value).n)).toEqual([1, 2]);
      });
    },
  );
});
