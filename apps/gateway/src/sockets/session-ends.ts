import { isRevoked } from '@chat/auth';
import type { Logger } from '@chat/logger';
import { CLOSE_CODES, ErrorCode } from '@chat/protocol';
import { errorPushText } from '../protocol/frames';
import type { Connection } from './connection';
import { ExpiryQueue } from './expiry-queue';
import type { LocalSockets } from './local-sockets';

export interface SessionEndsOptions {
  /**
   * How long a revocation seen on `chat.events` is remembered, so that a socket whose
   * token was checked against the cache just before the revocation reached it, and which
   * binds after the event, is still refused. At least the token epoch cache's TTL: a cache
   * entry the api failed to move forward is stale for at most that long.
   */
  rememberMs: number;
  now?: () => number;
}

/**
 * Ends the sockets whose session ended (docs/protocol.md §2.2, §2.4; docs/architecture.md: sessions end
 * with their rights), at once rather than at their next request:
 * - at the token's expiry, by a queue with one timer: `error 2013` then close 4401;
 * - when the account's sessions end (password or email change, logout), announced on
 *   `chat.events` with the account's new token epoch: every local socket authenticated with
 *   an earlier epoch gets `error 2013` ("token revoked") then close 4401.
 * Deleted accounts are closed with 4403 through the delivery topic (`DeliveryConsumer`).
 */
export class SessionEnds {
  private readonly expiries: ExpiryQueue<Connection>;
  /** Account → the latest revoked epoch and when it was seen, oldest first. */
  private readonly recent = new Map<number, { epoch: number; at: number }>();
  private readonly now: () => number;

  constructor(
    private readonly sockets: Pick<LocalSockets, 'ofAccount'>,
    private readonly opts: SessionEndsOptions,
    private readonly log: Logger,
  ) {
    this.now = opts.now ?? Date.now;
    this.expiries = new ExpiryQueue(
      (conn) => this.end(conn, ErrorCode.TokenExpired, 'token expired'),
      this.now,
    );
  }

  /** The connection authenticated or refreshed its token: it closes at `conn.expiresAt`. */
  track(conn: Connection): void {
    this.expiries.schedule(conn);
  }

  /** The connection closed. */
  forget(conn: Connection): void {
    this.expiries.remove(conn);
  }

  /** Whether a revocation this gateway saw ended tokens of `epoch` for the account. */
  hasEnded(accountId: number, epoch: number): boolean {
    const seen = this.recent.get(accountId);
    return seen !== undefined && this.now() - seen.at < this.opts.rememberMs
      ? isRevoked(epoch, seen.epoch)
      : false;
  }

  /**
   * The account's sessions ended up to `epoch` (its new token epoch): closes its local
   * sockets authenticated with an earlier one and remembers the revocation. `lastFrame`, the
   * push the ending change makes to the account (an email change's `update_email`), is
   * written to each of those sockets first. Returns how many sockets it closed. Idempotent:
   * a redelivered record closes nothing more, and so sends nothing more.
   */
  revoke(accountId: number, epoch: number, lastFrame?: string): number {
    const now = this.now();
    this.forgetOld(now);
    const seen = this.recent.get(accountId);
    // Re-inserted, so the map stays ordered by when each account was last revoked.
    this.recent.delete(accountId);
    this.recent.set(accountId, { epoch: Math.max(epoch, seen?.epoch ?? 0), at: now });
    let closed = 0;
    for (const conn of this.sockets.ofAccount(accountId)) {
      if (isRevoked(conn.tokenEpoch, epoch)) {
        this.end(conn, ErrorCode.TokenExpired, 'token revoked', lastFrame);
        closed += 1;
      }
    }
    if (closed > 0) this.log.info({ accountId, closed }, 'sockets of ended sessions closed');
    return closed;
  }

  /** How many sockets wait for their expiry. */
  get tracked(): number {
    return this.expiries.size;
  }

  /** Stops the expiry timer (shutdown: the sockets are being closed with 1001). */
  clear(): void {
    this.expiries.clear();
    this.recent.clear();
  }

  private end(conn: Connection, code: ErrorCode, message: string, lastFrame?: string): void {
    try {
      if (lastFrame !== undefined) conn.send(lastFrame);
      conn.send(errorPushText(code, message));
      conn.close(CLOSE_CODES.notAuthenticated, message);
    } catch (err) {
      this.log.error({ err, connId: conn.connId }, 'closing an ended session failed');
    }
  }

  private forgetOld(now: number): void {
    for (const [accountId, seen] of this.recent) {
      if (now - seen.at < this.opts.rememberMs) break;
      this.recent.delete(accountId);
    }
  }
}
