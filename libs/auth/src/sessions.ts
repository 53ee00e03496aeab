import { AppError, ErrorCode } from '@chat/protocol';
import type { TokenClaims } from './tokens';

/**
 * What the server holds about a token's subject (a user or an account): its current token
 * epoch and, for an account, the user owning it. `null` stands for a subject that no
 * longer exists.
 */
export interface SubjectTokens {
  /** Moves forward on password or email change, logout and (for accounts) user logout. */
  epoch: number;
  /** The owning user of an account; the user itself for a user. */
  owner: number;
}

/**
 * How long a process may answer from a cached token epoch before reading the database
 * again. Every change is written to the cache as it commits, so this only bounds how long
 * a lost cache write could let an ended token through; gateways remember the revocations
 * they saw for as long.
 */
export const TOKEN_EPOCH_CACHE_TTL_MS = 10 * 60 * 1000;

/**
 * The checks of docs/api.md §1.4 after the signature and expiry: a subject that no longer
 * exists is 2001 (user) or 2010 (account); a token issued before the subject's epoch moved
 * (password or email changed, logged out) is 2013, like an expired one: the session it
 * belonged to has ended and the client must log in again.
 */
export function checkSession(claims: TokenClaims, current: SubjectTokens | null): SubjectTokens {
  if (current === null) {
    throw new AppError(claims.kind === 'user' ? ErrorCode.UserNotFound : ErrorCode.AccountNotFound);
  }
  if (isRevoked(claims.epoch, current.epoch)) {
    throw new AppError(ErrorCode.TokenExpired, 'token revoked');
  }
  return current;
}

/** Whether a token of epoch `tokenEpoch` is ended by the subject's epoch `currentEpoch`. */
export function isRevoked(tokenEpoch: number, currentEpoch: number): boolean {
  return tokenEpoch < currentEpoch;
}
