import type { TokenService } from '@chat/auth';
import type { EmailCodeStore } from '@chat/cache';
import { AppError, ErrorCode, InfrastructureError, PUSH_EVENTS } from '@chat/protocol';
import type { Logger } from '@chat/logger';
import type { AccountRepository, UserRecord, UserRepository } from '@chat/db';
import type { MailQueue, UnitOfWork } from '../ports';
import { userSessionsEndedEvents, type SessionService } from '../sessions/session.service';
import { userInfo } from '../views';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(stored: string, password: string): Promise<boolean>;
}

export interface UserServiceDeps {
  users: UserRepository;
  accounts: AccountRepository;
  codes: EmailCodeStore;
  mailQueue: MailQueue;
  tokens: TokenService;
  passwords: PasswordHasher;
  /** A change and its push (and the close of the sockets it ends) commit together. */
  work: UnitOfWork;
  /** Ends sessions: password and email changes and logout end every token of the user. */
  sessions: SessionService;
  /** `Rule.CodeMarkDuration`, quoted in the mail. */
  codeValidMs: number;
  log: Logger;
}

const sameEmail = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The user and email areas of docs/api.md §5–6. */
export class UserService {
  constructor(private readonly d: UserServiceDeps) {}

  private async requireCode(email: string, code: string): Promise<void> {
    if (!(await this.d.codes.check(email, code))) throw new AppError(ErrorCode.EmailCodeInvalid);
  }

  private session(user: UserRecord) {
    return {
      user_info: userInfo(user),
      user_token: this.d.tokens.issue('user', user.id, user.tokenEpoch),
    };
  }

  /** POST /api/user/register: 2006 before the code is looked at, then 2004. */
  async register(email: string, password: string, code: string) {
    if (await this.d.users.findByEmail(email)) throw new AppError(ErrorCode.EmailRegistered);
    await this.requireCode(email, code);
    const created = await this.d.users.create(email, await this.d.passwords.hash(password));
    if (created === 'email_taken') throw new AppError(ErrorCode.EmailRegistered);
    this.d.log.info({ userId: created.id }, 'user registered');
    return this.session(created);
  }

  /** POST /api/user/login: 2001 unknown email, 2002 wrong password. */
  async login(email: string, password: string) {
    const user = await this.d.users.findByEmail(email);
    if (!user) throw new AppError(ErrorCode.UserNotFound);
    if (!(await this.d.passwords.verify(user.password, password))) {
      throw new AppError(ErrorCode.WrongPassword);
    }
    return this.session(user);
  }

  /**
   * PUT /api/user/update/email; ends every session of the user and its accounts (their
   * tokens, their sockets), telling every account's sockets the new address with
   * `update_email` as their last frame before the close: the push travels in the revocation
   * record itself, since a separate push, routed through the notifier, would reach sockets
   * the gateways had already closed.
   */
  async updateEmail(userId: number, email: string, code: string): Promise<void> {
    const user = await this.mustFind(userId);
    if (sameEmail(user.email, email)) throw new AppError(ErrorCode.EmailSame);
    if (await this.d.users.findByEmail(email)) throw new AppError(ErrorCode.EmailRegistered);
    await this.requireCode(email, code);
    const ended = await this.d.work.run(async (outbox) => {
      const changed = await this.d.users.updateEmail(userId, email);
      if (changed === 'email_taken') throw new AppError(ErrorCode.EmailRegistered);
      if (changed === null) throw new AppError(ErrorCode.UserNotFound);
      outbox.events(
        userSessionsEndedEvents(changed).map((revocation) => ({
          ...revocation,
          push: {
            event: PUSH_EVENTS.updateEmail,
            data: { email },
            to: changed.accounts.map((a) => a.accountId),
          },
        })),
      );
      return changed;
    });
    await this.d.sessions.userEnded(ended, 'email changed');
  }

  /**
   * PUT /api/user/update/pwd: the code must belong to the current email. Ends every
   * session of the user and its accounts.
   */
  async updatePassword(userId: number, code: string, newPassword: string): Promise<void> {
    const user = await this.mustFind(userId);
    await this.requireCode(user.email, code);
    const hash = await this.d.passwords.hash(newPassword);
    const ended = await this.d.work.run(async (outbox) => {
      const changed = await this.d.users.updatePassword(userId, hash);
      if (changed === null) throw new AppError(ErrorCode.UserNotFound);
      outbox.events(userSessionsEndedEvents(changed));
      return changed;
    });
    await this.d.sessions.userEnded(ended, 'password changed');
  }

  /** POST /api/user/logout: ends every session of the user and its accounts, on every device. */
  async logout(userId: number): Promise<void> {
    const ended = await this.d.work.run(async (outbox) => {
      const changed = await this.d.users.endSessions(userId);
      if (changed === null) throw new AppError(ErrorCode.UserNotFound);
      outbox.events(userSessionsEndedEvents(changed));
      return changed;
    });
    await this.d.sessions.userEnded(ended, 'logout');
  }

  /** DELETE /api/user/delete: 3005 while the user owns accounts. */
  async deleteUser(userId: number): Promise<void> {
    if ((await this.d.users.delete(userId)) === 'has_accounts') {
      throw new AppError(ErrorCode.UserHasAccounts);
    }
    await this.d.sessions.userDeleted(userId);
    this.d.log.info({ userId }, 'user deleted');
  }

  /** GET /api/email/exist */
  async emailExists(email: string): Promise<{ exist: boolean }> {
    return { exist: (await this.d.users.findByEmail(email)) !== null };
  }

  /**
   * POST /api/email/send: a fresh code unless one was sent within `Rule.UserMarkDuration`
   * (2003); the mail itself is sent by the mailer from the `email` queue, with retries.
   */
  async sendCode(email: string): Promise<void> {
    const issued = await this.d.codes.issue(email);
    if ('tooSoon' in issued) {
      throw new AppError(
        ErrorCode.EmailSendTooOften,
        `verification emails sent too often, retry in ${Math.ceil(issued.retryAfterMs / 1000)} s`,
      );
    }
    try {
      await this.d.mailQueue.add('verification_code', {
        kind: 'verification_code',
        to: email,
        code: issued.code,
        validForMs: this.d.codeValidMs,
      });
    } catch (err) {
      throw new InfrastructureError('could not queue the verification email', err);
    }
  }

  private async mustFind(userId: number) {
    const user = await this.d.users.findById(userId);
    if (!user) throw new AppError(ErrorCode.UserNotFound);
    return user;
  }
}
