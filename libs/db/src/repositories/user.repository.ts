import type { EntityManager } from '@mikro-orm/postgresql';
import { User } from '../entities/user.entity';
import type { EndedUserSessions, TokenEpochRecord, UserRepository } from '../ports/users';
import {
  FOREIGN_KEY_VIOLATION,
  RESTRICT_VIOLATION,
  UNIQUE_VIOLATION,
  rows,
  sqlState,
  unexpected,
} from './sql';
import { joinWork } from './unit-of-work';

/** Users (docs/data-model.md §2.1); emails compare case-insensitively through `lower(email)`. */
export class PgUserRepository implements UserRepository {
  constructor(private readonly root: EntityManager) {}

  private get em(): EntityManager {
    return joinWork(this.root);
  }

  findById(id: number): Promise<User | null> {
    return this.em.findOne(User, { id });
  }

  async findByEmail(email: string): Promise<User | null> {
    // Served by the unique index on lower(email).
    const found = await this.em
      .createQueryBuilder(User)
      .select('*')
      .where('lower(email) = lower(?)', [email])
      .getSingleResult();
    return found ?? null;
  }

  /** The user's token epoch, or null when the user does not exist. */
  async tokenEpoch(id: number): Promise<TokenEpochRecord | null> {
    const [row] = await rows<{ token_epoch: number }>(
      this.em,
      'select token_epoch from "user" where id = ?',
      [id],
    );
    return row ? { epoch: Number(row.token_epoch), owner: id } : null;
  }

  async create(email: string, passwordHash: string): Promise<User | 'email_taken'> {
    const em = this.em;
    const user = em.create(User, { email, password: passwordHash, tokenEpoch: 0 });
    try {
      await em.persistAndFlush(user);
      return user;
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) return 'email_taken';
      unexpected('creating a user', err);
    }
  }

  /**
   * Changes the email and, in the same transaction, ends every session of the user; null
   * when the user does not exist.
   */
  async updateEmail(id: number, email: string): Promise<EndedUserSessions | 'email_taken' | null> {
    try {
      return await this.endSessionsWith(id, 'email = ?', [email]);
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) return 'email_taken';
      unexpected('updating an email', err);
    }
  }

  /**
   * Changes the password hash and, in the same transaction, ends every session of the
   * user; null when the user does not exist.
   */
  updatePassword(id: number, passwordHash: string): Promise<EndedUserSessions | null> {
    return this.endSessionsWith(id, 'password = ?', [passwordHash]);
  }

  /** Ends every session of the user (logout on all devices); null when it does not exist. */
  endSessions(id: number): Promise<EndedUserSessions | null> {
    return this.endSessionsWith(id, null, []);
  }

  /**
   * Moves the token epoch of the user and of each of its accounts forward, with `change`
   * (a `column = ?` assignment) applied to the user row in the same statement. The user
   * row is updated first, which locks it: an account created concurrently (which locks the
   * user row too) either comes after and starts with fresh tokens, or is counted here.
   */
  private async endSessionsWith(
    id: number,
    change: string | null,
    params: unknown[],
  ): Promise<EndedUserSessions | null> {
    return this.em.transactional(async (em) => {
      const set = change
        ? `${change}, token_epoch = token_epoch + 1`
        : 'token_epoch = token_epoch + 1';
      const [user] = await rows<{ token_epoch: number }>(
        em,
        `update "user" set ${set} where id = ? returning token_epoch`,
        [...params, id],
      );
      if (!user) return null;
      const accounts = await rows<{ id: string; token_epoch: number }>(
        em,
        'update account set token_epoch = token_epoch + 1 where user_id = ? returning id, token_epoch',
        [id],
      );
      return {
        userId: id,
        epoch: Number(user.token_epoch),
        accounts: accounts
          .map((a) => ({ accountId: Number(a.id), epoch: Number(a.token_epoch) }))
          .sort((a, b) => a.accountId - b.accountId),
      };
    });
  }

  /** The account foreign key is RESTRICT, so a user with accounts cannot go. */
  async delete(id: number): Promise<'ok' | 'has_accounts'> {
    try {
      await this.em.nativeDelete(User, { id });
      return 'ok';
    } catch (err) {
      const state = sqlState(err);
      if (state === FOREIGN_KEY_VIOLATION || state === RESTRICT_VIOLATION) return 'has_accounts';
      unexpected('deleting a user', err);
    }
  }
}
