import type { EntityManager } from '@mikro-orm/postgresql';
import { User } from '../entities/user.entity';
import {
  FOREIGN_KEY_VIOLATION,
  RESTRICT_VIOLATION,
  UNIQUE_VIOLATION,
  sqlState,
  unexpected,
} from './sql';
import { joinWork } from './unit-of-work';

/** Users (DATA.md §2.1); emails compare case-insensitively through `lower(email)`. */
export class UserRepository {
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

  async exists(id: number): Promise<boolean> {
    return (await this.em.count(User, { id })) > 0;
  }

  async create(email: string, passwordHash: string): Promise<User | 'email_taken'> {
    const em = this.em;
    const user = em.create(User, { email, password: passwordHash });
    try {
      await em.persistAndFlush(user);
      return user;
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) return 'email_taken';
      unexpected('creating a user', err);
    }
  }

  async updateEmail(id: number, email: string): Promise<'ok' | 'email_taken'> {
    try {
      await this.em.nativeUpdate(User, { id }, { email });
      return 'ok';
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) return 'email_taken';
      unexpected('updating an email', err);
    }
  }

  async updatePassword(id: number, passwordHash: string): Promise<void> {
    await this.em.nativeUpdate(User, { id }, { password: passwordHash });
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
