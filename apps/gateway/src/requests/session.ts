import type { Logger } from '@chat/logger';
import { AppError, ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import type { PresenceAnnouncer } from '../presence/presence-announcer';
import type { PresenceWatch } from '../presence/presence-watch';
import type { Connection } from '../sockets/connection';
import { TooManyConnectionsError, type ConnectionAdmission } from '../sockets/connection-admission';
import type { LocalSockets } from '../sockets/local-sockets';
import type { SessionEnds } from '../sockets/session-ends';
import type { Authenticator, VerifiedAccount } from './authenticator';

export interface AuthReply {
  account_id: number;
  expired_at: string;
}

export interface SessionDeps {
  authenticator: Authenticator;
  announcer: PresenceAnnouncer;
  /** Presence subscriptions (docs/protocol.md §3.5): told of joins and leaves. */
  watch?: Pick<PresenceWatch, 'changed' | 'forget'>;
  sockets: LocalSockets;
  /** Closes sockets at their token's expiry and when their session ends. */
  ends: SessionEnds;
  /** `Gateway.MaxConnectionsPerAccount`: counts the socket under its account. */
  admission?: Pick<ConnectionAdmission, 'admitAccount' | 'releaseAccount'>;
  /** Runs best-effort background work (login/logout pushes) that shutdown waits for. */
  track(work: Promise<unknown>): void;
  /** True once shutdown began: closing sockets then neither leave presence nor announce. */
  isStopping(): boolean;
  log: Logger;
}

/**
 * Binding of connections to accounts (docs/protocol.md §2.1, §2.3): authentication, token refresh,
 * joining and leaving the online set, and the login/logout pushes.
 */
export class Session {
  constructor(private readonly deps: SessionDeps) {}

  /**
   * Authenticates `conn` with `token`. The first success binds the connection, adds it to
   * the online set and pushes `account_login` to the account's other connections; a later
   * success for the same account only extends the expiry; another account is 2008 and the
   * binding stays. Returns undefined if the socket closed meanwhile. From then on the socket
   * is closed at its token's expiry, or when its session ends (`SessionEnds`).
   */
  async authenticate(conn: Connection, token: string): Promise<AuthReply | undefined> {
    const { authenticator, announcer, sockets, ends, log } = this.deps;
    const verified = await authenticator.verify(token);
    this.refuseEnded(verified);
    if (conn.accountId !== null) {
      if (conn.accountId !== verified.accountId) {
        throw new AppError(ErrorCode.AuthFailed, 'connection already bound to a different account');
      }
      conn.expiresAt = Math.max(conn.expiresAt, verified.expiresAt);
      conn.tokenEpoch = Math.max(conn.tokenEpoch, verified.epoch);
      ends.track(conn);
      return this.reply(conn);
    }

    const { admission } = this.deps;
    if (admission && !(await admission.admitAccount(conn, verified.accountId))) {
      throw new TooManyConnectionsError();
    }
    try {
      await announcer.join(conn, verified.accountId);
      if (!conn.isOpen || ends.hasEnded(verified.accountId, verified.epoch)) {
        // Closed, or its session ended, while joining: its close handler saw no account.
        await announcer.leave(conn, verified.accountId);
        if (!conn.isOpen) return undefined;
        this.refuseEnded(verified);
      }
    } catch (err) {
      // Not bound: the socket stays (unauthenticated) and must not hold the account's place.
      admission?.releaseAccount(conn);
      throw err;
    }
    conn.accountId = verified.accountId;
    conn.expiresAt = verified.expiresAt;
    conn.tokenEpoch = verified.epoch;
    sockets.bind(conn, verified.accountId);
    ends.track(conn);
    log.debug({ accountId: conn.accountId, connId: conn.connId }, 'socket authenticated');
    this.deps.track(
      announcer
        .announce(PUSH_EVENTS.accountLogin, verified.accountId, conn)
        .catch((err: unknown) => log.warn({ err, connId: conn.connId }, 'login push failed')),
    );
    if (this.deps.watch) this.deps.track(this.deps.watch.changed(verified.accountId));
    return this.reply(conn);
  }

  /** The socket closed (uWS `close`): leave the online set and tell the other connections. */
  closed(conn: Connection): void {
    const { announcer, sockets, ends, log } = this.deps;
    sockets.delete(conn);
    ends.forget(conn);
    this.deps.watch?.forget(conn);
    conn.detach();
    const accountId = conn.accountId;
    // On shutdown `dropNode` removes every entry at once, and the clients reconnect
    // elsewhere at once: a logout push per socket would only be noise.
    if (accountId === null || this.deps.isStopping()) return;
    this.deps.track(
      (async () => {
        await announcer.leave(conn, accountId);
        if (this.deps.watch) this.deps.track(this.deps.watch.changed(accountId));
        await announcer.announce(PUSH_EVENTS.accountLogout, accountId, conn);
      })().catch((err: unknown) => log.warn({ err, connId: conn.connId }, 'logout failed')),
    );
  }

  /**
   * 2013 for a token whose session this gateway saw end, though the cache did not say so
   * yet when the token was checked (a revocation racing the login).
   */
  private refuseEnded(verified: VerifiedAccount): void {
    if (this.deps.ends.hasEnded(verified.accountId, verified.epoch)) {
      throw new AppError(ErrorCode.TokenExpired, 'token revoked');
    }
  }

  private reply(conn: Connection): AuthReply {
    return {
      account_id: conn.accountId as number,
      expired_at: new Date(conn.expiresAt).toISOString(),
    };
  }
}
