import { createCacheAdapters, type TokenEpochCache } from '@chat/cache';
import { createLogger } from '@chat/logger';
import {
  SessionService,
  accountSessionsEndedEvents,
  userSessionsEndedEvents,
} from './session.service';

describe('SessionService', () => {
  const log = createLogger({ name: 'sessions-test', level: 'silent' });

  function world(epochs?: TokenEpochCache) {
    const rows = {
      users: new Map<number, number>([[1, 0]]),
      accounts: new Map<number, { epoch: number; owner: number }>([
        [10, { epoch: 0, owner: 1 }],
        [11, { epoch: 4, owner: 1 }],
      ]),
      reads: 0,
    };
    const service = new SessionService({
      epochs: epochs ?? createCacheAdapters({ kind: 'memory' }, log).tokenEpochs({ ttlMs: 60_000 }),
      users: {
        tokenEpoch: async (id) => {
          rows.reads += 1;
          const epoch = rows.users.get(id);
          return epoch === undefined ? null : { epoch, owner: id };
        },
      },
      accounts: {
        tokenEpoch: async (id) => {
          rows.reads += 1;
          return rows.accounts.get(id) ?? null;
        },
      },
      log,
    });
    return { rows, service };
  }

  it('reads each subject from the database once, then from the cache', async () => {
    const { rows, service } = world();
    expect(await service.account(11)).toEqual({ epoch: 4, owner: 1 });
    expect(await service.account(11)).toEqual({ epoch: 4, owner: 1 });
    expect(await service.user(1)).toEqual({ epoch: 0, owner: 1 });
    expect(await service.user(2)).toBeNull();
    expect(rows.reads).toBe(3);
  });

  it('moves the cached epochs of a user and its accounts', async () => {
    const { rows, service } = world();
    await service.account(10);
    await service.userEnded(
      {
        userId: 1,
        epoch: 1,
        accounts: [
          { accountId: 10, epoch: 1 },
          { accountId: 11, epoch: 5 },
        ],
      },
      'password changed',
    );
    expect(await service.user(1)).toEqual({ epoch: 1, owner: 1 });
    expect(await service.account(10)).toEqual({ epoch: 1, owner: 1 });
    expect(await service.account(11)).toEqual({ epoch: 5, owner: 1 });
    expect(rows.reads).toBe(1);
  });

  it('ends one account alone on its logout', async () => {
    const { service } = world();
    await service.accountEnded({ accountId: 10, epoch: 1, owner: 1 }, 'logout');
    expect(await service.account(10)).toEqual({ epoch: 1, owner: 1 });
    expect(await service.account(11)).toEqual({ epoch: 4, owner: 1 });
    expect(await service.user(1)).toEqual({ epoch: 0, owner: 1 });
  });

  it('has the outbox announce the accounts whose sockets must close, with their epochs', () => {
    expect(
      userSessionsEndedEvents({
        userId: 1,
        epoch: 1,
        accounts: [
          { accountId: 10, epoch: 1 },
          { accountId: 11, epoch: 5 },
        ],
      }),
    ).toEqual([
      {
        key: 'user:1',
        effects: {
          tokensRevoked: [
            { accountId: 10, epoch: 1 },
            { accountId: 11, epoch: 5 },
          ],
        },
      },
    ]);
    // No account, no socket can hold the user's tokens: nothing to announce.
    expect(userSessionsEndedEvents({ userId: 1, epoch: 1, accounts: [] })).toEqual([]);
    expect(accountSessionsEndedEvents({ accountId: 10, epoch: 2, owner: 1 })).toEqual([
      { key: 'account:10', effects: { tokensRevoked: [{ accountId: 10, epoch: 2 }] } },
    ]);
  });

  it('answers null for a deleted subject at once, though the cache held it', async () => {
    const { service } = world();
    await service.account(10);
    await service.user(1);
    await service.accountDeleted(10);
    await service.userDeleted(1);
    expect(await service.account(10)).toBeNull();
    expect(await service.user(1)).toBeNull();
  });

  it('does not fail a committed change when the cache cannot be written', async () => {
    const broken: TokenEpochCache = {
      get: async (_kind, _id, load) => load(),
      advance: async () => {
        throw new Error('cache down');
      },
    };
    const { service } = world(broken);
    await expect(
      service.accountEnded({ accountId: 10, epoch: 1, owner: 1 }, 'logout'),
    ).resolves.toBeUndefined();
  });
});
