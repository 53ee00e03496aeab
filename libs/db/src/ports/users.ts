/**
 * Users (docs/data-model.md §2.1) as the domain sees them: the port `PgUserRepository`
 * implements, and the shapes shared with accounts (token epochs and ended sessions).
 */

export interface UserRecord {
  id: number;
  email: string;
  /** argon2id hash (never the password). */
  password: string;
  createAt: Date;
  /** Carried by every token issued for the user; moving it ends the earlier ones. */
  tokenEpoch: number;
}

/** A subject's token epoch and owner (a user owns itself), as tokens are checked against. */
export interface TokenEpochRecord {
  epoch: number;
  owner: number;
}

/**
 * What ending a user's sessions moved: the user's token epoch and that of each of its
 * accounts (a user-wide end ends the account tokens too), as committed.
 */
export interface EndedUserSessions {
  userId: number;
  epoch: number;
  accounts: { accountId: number; epoch: number }[];
}

export interface UserRepository {
  findById(id: number): Promise<UserRecord | null>;
  /** Case-insensitive (docs/data-model.md §2.1: unique on lower(email)). */
  findByEmail(email: string): Promise<UserRecord | null>;
  /** `email_taken` when a concurrent insert won the unique index. */
  create(email: string, passwordHash: string): Promise<UserRecord | 'email_taken'>;
  /** The user's token epoch; null when it does not exist. */
  tokenEpoch(id: number): Promise<TokenEpochRecord | null>;
  /**
   * These three end every session of the user and of its accounts in the transaction of
   * the change; null when the user does not exist.
   */
  updateEmail(id: number, email: string): Promise<EndedUserSessions | 'email_taken' | null>;
  updatePassword(id: number, passwordHash: string): Promise<EndedUserSessions | null>;
  endSessions(id: number): Promise<EndedUserSessions | null>;
  /** `has_accounts` while any account refers to the user (API 3005). */
  delete(id: number): Promise<'ok' | 'has_accounts'>;
}
