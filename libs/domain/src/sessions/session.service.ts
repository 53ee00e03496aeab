import type { SubjectTokens } from '@chat/auth';
import type { TokenEpochCache, TokenEpochUpdate } from '@chat/cache';
import type { Logger } from '@chat/logger';
import type {
  AccountRepository,
  EndedAccountSessions,
  EndedUserSessions,
  UserRepository,
} from '@chat/db';
import type { ChatEventDraft } from '../ports';

export interface SessionServiceDeps {
  /** The epochs as tokens are checked against on every request (shared by every process). */
  epochs: TokenEpochCache;
  users: Pick<UserRepository, 'tokenEpoch'>;
  accounts: Pick<AccountRepository, 'tokenEpoch'>;
  log: Logger;
}

/**
 * Sessions end with their rights (docs/architecture.md, guarantees). Every token carries its
 * subject's token epoch; a password or email change, a logout or a deletion moves the epoch
 * (or removes the subject) in the database transaction of the change, which also records in
 * its outbox the `chat.events` record listing the accounts whose sessions ended with their
 * new epoch (`userSessionsEndedEvents`, `accountSessionsEndedEvents`), so every gateway
 * closes the sockets authenticated before it (4401). Once the change committed it comes
 * here, and the cache of epochs moves forward, so every api process refuses the ended
 * tokens from the next request on (2013; 2001/2010 for a deleted subject).
 *
 * Reads go through the same cache, loading from the database on a miss: checking a token
 * costs a cache read, not a query.
 */
export class SessionService {
  constructor(private readonly d: SessionServiceDeps) {}

  /** The user's current token epoch; null when the user no longer exists. */
  user(userId: number): Promise<SubjectTokens | null> {
    return this.d.epochs.get('user', userId, () => this.d.users.tokenEpoch(userId));
  }

  /** The account's current token epoch and owner; null when the account no longer exists. */
  account(accountId: number): Promise<SubjectTokens | null> {
    return this.d.epochs.get('account', accountId, () => this.d.accounts.tokenEpoch(accountId));
  }

  /** Every session of a user and of its accounts ended (after the commit): `why` is for the log. */
  async userEnded(ended: EndedUserSessions, why: string): Promise<void> {
    await this.record([
      { kind: 'user', id: ended.userId, state: { epoch: ended.epoch, owner: ended.userId } },
      ...ended.accounts.map(({ accountId, epoch }): TokenEpochUpdate => ({
        kind: 'account',
        id: accountId,
        state: { epoch, owner: ended.userId },
      })),
    ]);
    this.d.log.info(
      { userId: ended.userId, accounts: ended.accounts.length, why },
      'user sessions ended',
    );
  }

  /** Every session of one account ended (after the commit): `why` is for the log. */
  async accountEnded(ended: EndedAccountSessions, why: string): Promise<void> {
    await this.record([
      {
        kind: 'account',
        id: ended.accountId,
        state: { epoch: ended.epoch, owner: ended.owner },
      },
    ]);
    this.d.log.info({ accountId: ended.accountId, why }, 'account sessions ended');
  }

  /** The user was deleted (committed): its tokens answer 2001 from now on. */
  async userDeleted(userId: number): Promise<void> {
    await this.record([{ kind: 'user', id: userId, state: null }]);
  }

  /**
   * The account was deleted (committed): its tokens answer 2010 from now on. Its sockets
   * are closed with 4403 through the `accountsDeleted` effect of the deletion's events.
   */
  async accountDeleted(accountId: number): Promise<void> {
    await this.record([{ kind: 'account', id: accountId, state: null }]);
  }

  /**
   * The change is committed whatever happens here, so a failure is logged rather than
   * failing the request: the cache entry then expires within its TTL and is read again
   * from the database, and the gateways still close the sockets (the outbox's record).
   */
  private async record(updates: TokenEpochUpdate[]): Promise<void> {
    try {
      await this.d.epochs.advance(updates);
    } catch (err) {
      this.d.log.error(
        { err, subjects: updates.map((u) => `${u.kind}:${u.id}`) },
        'token epochs not recorded in the cache; ended tokens pass until the entries expire',
      );
    }
  }
}

/**
 * What the outbox of a change that ended a user's sessions records: the accounts whose
 * sockets must close (none for a user without accounts: no socket holds a user token).
 */
export function userSessionsEndedEvents(ended: EndedUserSessions): ChatEventDraft[] {
  return ended.accounts.length > 0 ? [revoked(`user:${ended.userId}`, ended.accounts)] : [];
}

/** What the outbox of an account's logout records: its sockets must close. */
export function accountSessionsEndedEvents(ended: EndedAccountSessions): ChatEventDraft[] {
  return [revoked(`account:${ended.accountId}`, [ended])];
}

function revoked(key: string, accounts: { accountId: number; epoch: number }[]): ChatEventDraft {
  return {
    key,
    effects: {
      tokensRevoked: accounts.map(({ accountId, epoch }) => ({ accountId, epoch })),
    },
  };
}
