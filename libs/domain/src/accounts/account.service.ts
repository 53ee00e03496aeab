import type { TokenService } from '@chat/auth';
import type { Logger } from '@chat/logger';
import { AppError, ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import type { AccountRecord, AccountRepository, DeletedAccount, Gender } from '@chat/db';
import type { ChatEventDraft, UnitOfWork } from '../ports';
import { accountSessionsEndedEvents, type SessionService } from '../sessions/session.service';
import { accountInfo, iso } from '../views';

export interface AccountServiceDeps {
  accounts: AccountRepository;
  tokens: TokenService;
  /** A change and its pushes (and the 4403 of a deleted account) commit together. */
  work: UnitOfWork;
  /** Ends sessions: an account's logout, and its deletion, end its tokens. */
  sessions: SessionService;
  /** `Rule.AccountNumMax` */
  maxPerUser: number;
  /** `Rule.DefaultAvatarURL` */
  defaultAvatar: string;
  log: Logger;
}

export interface AccountFields {
  name: string;
  gender: Gender;
  signature: string;
}

/**
 * The events of an account deletion (docs/api.md §7): `delete_relation` to each former friend,
 * `group_quit_account` to the remaining members of each group it left, each marking the
 * relation's cached membership stale, and the account's sockets closed with 4403.
 */
function deletionEvents(accountId: number, removed: DeletedAccount): ChatEventDraft[] {
  return [
    ...removed.friendships.map(({ relationId, otherAccountId }) => ({
      key: `relation:${relationId}`,
      push: {
        event: PUSH_EVENTS.deleteRelation,
        data: { relation_id: relationId },
        to: [otherAccountId],
      },
      effects: { membershipChanged: [relationId] },
    })),
    ...removed.groups.map(({ relationId, remainingAccountIds }) => ({
      key: `relation:${relationId}`,
      push: {
        event: PUSH_EVENTS.groupQuitAccount,
        data: { relation_id: relationId, account_id: accountId },
        to: remainingAccountIds,
      },
      effects: { membershipChanged: [relationId] },
    })),
    // No push of its own: gateways close the account's sockets with 4403.
    { key: `account:${accountId}`, effects: { accountsDeleted: [accountId] } },
  ];
}

/** The account area of docs/api.md §7. */
export class AccountService {
  constructor(private readonly d: AccountServiceDeps) {}

  /** POST /api/account/create: 2012 at the limit, 2011 for a name the user already uses. */
  async create(userId: number, fields: AccountFields) {
    const created = await this.d.accounts.createWithSelf({
      userId,
      ...fields,
      avatar: this.d.defaultAvatar,
      maxPerUser: this.d.maxPerUser,
    });
    if (created === 'limit') throw new AppError(ErrorCode.AccountLimit);
    if (created === 'name_taken') throw new AppError(ErrorCode.AccountNameUsed);
    const { account } = created;
    this.d.log.info({ userId, accountId: account.id }, 'account created');
    return {
      id: account.id,
      name: account.name,
      avatar: account.avatar,
      account_token: this.d.tokens.issue('account', account.id, account.tokenEpoch),
    };
  }

  /** An account of this user: 2010 when missing, 2009 when another user's. */
  private async owned(userId: number, accountId: number): Promise<AccountRecord> {
    const account = await this.d.accounts.findById(accountId);
    if (!account) throw new AppError(ErrorCode.AccountNotFound);
    if (account.userId !== userId) throw new AppError(ErrorCode.PermissionDenied);
    return account;
  }

  /** GET /api/account/token */
  async token(userId: number, accountId: number) {
    const account = await this.owned(userId, accountId);
    return { account_token: this.d.tokens.issue('account', accountId, account.tokenEpoch) };
  }

  /**
   * POST /api/account/logout: ends every session of the calling account (its tokens on
   * every device, and its sockets); the user's other accounts keep theirs.
   */
  async logout(accountId: number): Promise<void> {
    const ended = await this.d.work.run(async (outbox) => {
      const changed = await this.d.accounts.endSessions(accountId);
      if (changed === null) throw new AppError(ErrorCode.AccountNotFound);
      outbox.events(accountSessionsEndedEvents(changed));
      return changed;
    });
    await this.d.sessions.accountEnded(ended, 'logout');
  }

  /**
   * DELETE /api/account/delete: 3006 while it leads a group. Pushes `delete_relation` to
   * each former friend and `group_quit_account` to the remaining members of each group it
   * left, and has its sockets closed with 4403 (docs/protocol.md §2.2).
   */
  async delete(userId: number, accountId: number): Promise<void> {
    await this.owned(userId, accountId);
    await this.d.work.run(async (outbox) => {
      const removed = await this.d.accounts.deleteAccount(accountId);
      if (removed === 'leader') throw new AppError(ErrorCode.AccountIsGroupLeader);
      outbox.events(deletionEvents(accountId, removed));
    });
    await this.d.sessions.accountDeleted(accountId);
    this.d.log.info({ userId, accountId }, 'account deleted');
  }

  /** PUT /api/account/update: 2011 when another account of the user has the name. */
  async update(accountId: number, fields: AccountFields): Promise<void> {
    await this.d.work.run(async (outbox) => {
      const updated = await this.d.accounts.update(accountId, fields);
      if (updated === 'name_taken') throw new AppError(ErrorCode.AccountNameUsed);
      outbox.events([
        {
          key: `account:${accountId}`,
          push: {
            event: PUSH_EVENTS.updateAccount,
            data: {
              account_id: updated.id,
              name: updated.name,
              gender: updated.gender,
              signature: updated.signature,
              avatar: updated.avatar,
            },
            to: [accountId],
          },
        },
      ]);
    });
  }

  /** GET /api/account/info */
  async info(callerId: number, accountId: number) {
    const account = await this.d.accounts.findById(accountId);
    if (!account) throw new AppError(ErrorCode.AccountNotFound);
    return {
      id: account.id,
      name: account.name,
      avatar: account.avatar,
      gender: account.gender,
      signature: account.signature,
      create_at: iso(account.createAt),
      relation_id: await this.d.accounts.friendRelationId(callerId, accountId),
    };
  }

  /** GET /api/account/infos/user: oldest first. */
  async listOfUser(userId: number) {
    const list = (await this.d.accounts.listByUser(userId)).map(accountInfo);
    return { list, total: list.length };
  }

  /** GET /api/account/infos/name: prefix search, by name then id, with the caller's relation. */
  async searchByName(callerId: number, name: string, page: number, pageSize: number) {
    const { rows, total } = await this.d.accounts.searchByName(name, page, pageSize);
    const relations = await this.d.accounts.friendRelationIds(
      callerId,
      rows.map((r) => r.id),
    );
    return {
      list: rows.map((a) => ({ ...accountInfo(a), relation_id: relations.get(a.id) ?? 0 })),
      total,
    };
  }
}
