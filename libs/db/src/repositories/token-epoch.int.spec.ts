import { openSuiteDatabase, TestData, type SuiteDatabase } from '../testing';
import { PgAccountRepository } from './account.repository';
import { PgUserRepository } from './user.repository';

/**
 * Token epochs against a real, migrated Postgres: what ends a user's or an account's
 * sessions moves the epochs, in the transaction of the change.
 */
describe('token epochs', () => {
  let suite: SuiteDatabase;
  let users: PgUserRepository;
  let accounts: PgAccountRepository;
  let data: TestData;

  beforeAll(async () => {
    suite = await openSuiteDatabase('db_token_epochs');
    users = new PgUserRepository(suite.db.em);
    accounts = new PgAccountRepository(suite.db.em);
    data = new TestData(suite.db.em.fork());
  });

  afterAll(async () => {
    await suite?.cleanup();
  });

  it('start at 0 for a new user and a new account, loaded with the entity too', async () => {
    const user = await data.user();
    const account = await data.account({ userId: user.id });
    expect(await users.tokenEpoch(user.id)).toEqual({ epoch: 0, owner: user.id });
    expect(await accounts.tokenEpoch(account.id)).toEqual({ epoch: 0, owner: user.id });
    expect((await users.findById(user.id))!.tokenEpoch).toBe(0);
    expect((await accounts.findById(account.id))!.tokenEpoch).toBe(0);
  });

  it('move for the user and every account of it on a password change, and nowhere else', async () => {
    const user = await data.user();
    const [a, b] = [
      await data.account({ userId: user.id }),
      await data.account({ userId: user.id }),
    ];
    const stranger = await data.account();
    const ended = await users.updatePassword(user.id, '$argon2id$new');
    expect(ended).toEqual({
      userId: user.id,
      epoch: 1,
      accounts: [
        { accountId: Math.min(a.id, b.id), epoch: 1 },
        { accountId: Math.max(a.id, b.id), epoch: 1 },
      ],
    });
    expect((await users.findById(user.id))!.password).toBe('$argon2id$new');
    expect(await accounts.tokenEpoch(a.id)).toEqual({ epoch: 1, owner: user.id });
    expect(await accounts.tokenEpoch(stranger.id)).toEqual({ epoch: 0, owner: stranger.userId });
    expect((await users.endSessions(user.id))!.epoch).toBe(2);
    expect(await accounts.tokenEpoch(b.id)).toEqual({ epoch: 2, owner: user.id });
  });

  it('move on an email change, and not when the new email is taken', async () => {
    const other = await data.user();
    const user = await data.user();
    const ended = await users.updateEmail(user.id, `moved-${user.id}@example.com`);
    expect(ended).toEqual({ userId: user.id, epoch: 1, accounts: [] });
    expect(await users.updateEmail(user.id, other.email.toUpperCase())).toBe('email_taken');
    expect(await users.tokenEpoch(user.id)).toEqual({ epoch: 1, owner: user.id });
  });

  it('move for one account alone on its logout', async () => {
    const user = await data.user();
    const [a, b] = [
      await data.account({ userId: user.id }),
      await data.account({ userId: user.id }),
    ];
    expect(await accounts.endSessions(a.id)).toEqual({ accountId: a.id, epoch: 1, owner: user.id });
    expect(await accounts.tokenEpoch(b.id)).toEqual({ epoch: 0, owner: user.id });
    expect(await users.tokenEpoch(user.id)).toEqual({ epoch: 0, owner: user.id });
  });

  it('answer null for a user or an account that does not exist', async () => {
    const missing = 9_007_199_254_740_000;
    expect(await users.tokenEpoch(missing)).toBeNull();
    expect(await accounts.tokenEpoch(missing)).toBeNull();
    expect(await users.endSessions(missing)).toBeNull();
    expect(await users.updatePassword(missing, '$argon2id$x')).toBeNull();
    expect(await accounts.endSessions(missing)).toBeNull();
  });
});
