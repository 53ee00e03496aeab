/**
 * What the domain needs from storage, caches, the bus and the job queue. The adapters
 * (libs/db, libs/cache, libs/bus, libs/jobs) implement these shapes; the apps pass the
 * instances in. Domain code never imports a driver.
 */
import type { ChatEvent, EmailJob, MessageRecord } from '@chat/protocol';

export type Gender = '男' | '女' | '未知';

export interface UserRecord {
  id: number;
  email: string;
  /** argon2id hash (never the password). */
  password: string;
  createAt: Date;
  /** Carried by every token issued for the user; moving it ends the earlier ones. */
  tokenEpoch: number;
}

export interface AccountRecord {
  id: number;
  userId: number;
  name: string;
  avatar: string;
  gender: Gender;
  signature: string;
  createAt: Date;
  /** Carried by every token issued for the account; moving it ends the earlier ones. */
  tokenEpoch: number;
}

/** A subject's token epoch and owner (a user owns itself), as tokens are checked against. */
export interface TokenEpochRecord {
  epoch: number;
  owner: number;
}

/** What ending a user's sessions moved, as committed: its epoch and each account's. */
export interface EndedUserSessions {
  userId: number;
  epoch: number;
  accounts: { accountId: number; epoch: number }[];
}

/** What ending one account's sessions moved, as committed. */
export interface EndedAccountSessions {
  accountId: number;
  epoch: number;
  owner: number;
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

export interface NewAccount {
  userId: number;
  name: string;
  gender: Gender;
  signature: string;
  avatar: string;
  /** `Rule.AccountNumMax`, checked in the same transaction as the insert. */
  maxPerUser: number;
}

/** What deleting an account removed, for the pushes of docs/api.md §7 (account delete). */
export interface DeletedAccount {
  /** Friendships removed (not the self conversation), with the surviving side. */
  friendships: { relationId: number; otherAccountId: number }[];
  /** Groups the account left, with the members that remain. */
  groups: { relationId: number; remainingAccountIds: number[] }[];
}

export interface AccountRepository {
  findById(id: number): Promise<AccountRecord | null>;
  /** The account's token epoch and owning user; null when it does not exist. */
  tokenEpoch(id: number): Promise<TokenEpochRecord | null>;
  /** Ends every session of the account (moves its epoch); null when it does not exist. */
  endSessions(id: number): Promise<EndedAccountSessions | null>;
  /** Oldest first. */
  listByUser(userId: number): Promise<AccountRecord[]>;
  /** Account, its self conversation and self setting, in one transaction. */
  createWithSelf(
    input: NewAccount,
  ): Promise<{ account: AccountRecord; selfRelationId: number } | 'limit' | 'name_taken'>;
  update(
    id: number,
    fields: { name: string; gender: Gender; signature: string },
  ): Promise<AccountRecord | 'name_taken'>;
  /** The friendship between two accounts (the self conversation when equal), 0 if none. */
  friendRelationId(accountId: number, otherId: number): Promise<number>;
  /** Friendship ids of `callerId` with each of `otherIds` (missing keys mean none). */
  friendRelationIds(callerId: number, otherIds: number[]): Promise<Map<number, number>>;
  /** Accounts whose name starts with `prefix`, by name then id. */
  searchByName(
    prefix: string,
    page: number,
    pageSize: number,
  ): Promise<{ rows: AccountRecord[]; total: number }>;
  /** `leader` when the account leads a group (API 3006); nothing is deleted then. */
  deleteAccount(id: number): Promise<DeletedAccount | 'leader'>;
}

/** A push-carrying domain event before the outbox stamps `id` and `at`. */
export type ChatEventDraft = Omit<ChatEvent, 'id' | 'at'> & {
  /** Bus key: events with one key are delivered in order (a relation, an account). */
  key: string;
};

/**
 * The bus records a unit of work causes, kept with its change (the transactional outbox):
 * they are written in its transaction and published once it has committed, at least once,
 * in the order recorded per key. Nothing is published for a unit that throws.
 */
export interface Outbox {
  /** Domain events for `chat.events` (pushes, cache effects). */
  events(drafts: ChatEventDraft[]): void;
  /** A message the server creates (a system message) for `chat.messages`. */
  message(record: MessageRecord): void;
}

/**
 * Runs `work` as one database transaction (docs/api.md §3.1: pushes follow the commit): the
 * repositories it calls join the transaction, and what it records in `outbox` commits with
 * the change or not at all. Throwing rolls everything back. Resolves after the commit.
 */
export interface UnitOfWork {
  run<T>(work: (outbox: Outbox) => Promise<T>): Promise<T>;
}

/**
 * Producer side of the `email` job queue (libs/jobs). Payloads have the type of the
 * protocol's `emailJobSchema`, the schema the mailer parses each job with.
 */
export interface MailQueue {
  add(name: string, payload: EmailJob): Promise<unknown>;
}
