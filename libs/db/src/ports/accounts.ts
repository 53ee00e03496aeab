/** Accounts (docs/data-model.md §2.2) as the domain and the gateway see them. */
import type { Gender } from '../entities/account.entity';
import type { TokenEpochRecord } from './users';

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

/** What ending one account's sessions moved, as committed. */
export interface EndedAccountSessions {
  accountId: number;
  epoch: number;
  owner: number;
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
