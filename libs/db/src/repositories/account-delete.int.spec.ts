import { Client } from 'pg';
import { snowflakeTime } from '@chat/ids';
import { waitFor } from '@chat/testing';
import { openSuiteDatabase, TestData, testDatabaseKind, type SuiteDatabase } from '../testing';
import { PgAccountRepository } from './account.repository';

/**
 * Deleting an account while the persister stores a message of it. The persister's batch
 * locks its relations (`for update`, by id), then inserts the messages, whose sender key
 * takes a share lock on the account row. The deletion must take its locks in the same
 * order: relations first, then the account. Taking the account first made each wait for
 * the other, and Postgres broke the deadlock by failing one of them (the api answered
 * 1003). Two connections on a real Postgres (PGlite serves one at a time).
 */
(testDatabaseKind() === 'postgres' ? describe : describe.skip)(
  'account deletion against a message being stored',
  () => {
    let suite: SuiteDatabase;
    let accounts: PgAccountRepository;
    let data: TestData;
    let persister: Client;

    beforeAll(async () => {
      suite = await openSuiteDatabase('db_account_delete');
      accounts = new PgAccountRepository(suite.db.em);
      data = new TestData(suite.db.em.fork());
      persister = new Client({ connectionString: suite.postgres!.databaseUrl });
      await persister.connect();
    });

    afterAll(async () => {
      await persister?.end();
      await suite?.cleanup();
    });

    /** Sessions on this suite's database that wait for a lock. */
    async function waitingLocks(): Promise<number> {
      const { rows } = await persister.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`,
      );
      return Number(rows[0].n);
    }

    for (const kind of ['friendship', 'group'] as const) {
      it(`waits for the persister's transaction in a ${kind}, and neither fails`, async () => {
        const leaving = await data.account();
        const other = await data.account();
        const { relation } =
          kind === 'friendship'
            ? await data.friendship(leaving, other)
            : await data.group(other, [leaving]);
        const id = data.ids.next();

        await persister.query('begin');
        // As the persister's batch does: its relations first, by id.
        await persister.query('select id, last_seq from relation where id = $1 for update', [
          relation.id,
        ]);
        const deleting = accounts.deleteAccount(leaving.id);
        deleting.catch(() => undefined);
        await waitFor(async () => (await waitingLocks()) > 0, {
          what: 'the deletion to wait for a lock',
        });
        await persister.query(
          `insert into message (id, relation_id, notify_type, msg_type, msg_content, account_id,
             create_at, pin_time, seq)
           values ($1, $2, 'common', 'text', 'on its way', $3, $4, $4, 1)`,
          [id, relation.id, leaving.id, snowflakeTime(id)],
        );
        await persister.query('update relation set last_seq = 1 where id = $1', [relation.id]);
        await persister.query('commit');

        const removed = await deleting;
        if (removed === 'leader') throw new Error('not a leader');
        if (kind === 'friendship') {
          expect(removed.friendships).toEqual([
            { relationId: relation.id, otherAccountId: other.id },
          ]);
        } else {
          expect(removed.groups).toEqual([
            { relationId: relation.id, remainingAccountIds: [other.id] },
          ]);
          // The message stays in the group, without its sender (docs/data-model.md: set null).
          const { rows } = await persister.query('select account_id from message where id = $1', [
            id,
          ]);
          expect(rows).toEqual([{ account_id: null }]);
        }
        expect(await accounts.findById(leaving.id)).toBeNull();
      });
    }
  },
);
