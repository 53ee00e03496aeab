import { ErrorCode } from '@chat/protocol';
import { codeOf } from '@chat/protocol/testing';
import { checkSession, isRevoked } from './sessions';
import type { TokenClaims } from './tokens';

const claims = (kind: TokenClaims['kind'], epoch: number): TokenClaims => ({
  kind,
  subject: 5,
  expiresAt: Date.UTC(2030, 0, 1),
  epoch,
});

describe('checkSession (the token epoch check)', () => {
  it('accepts a token of the subject’s current epoch and returns the subject', () => {
    const current = { epoch: 2, owner: 9 };
    expect(checkSession(claims('account', 2), current)).toBe(current);
  });

  it('accepts a token newer than what the caller knows (a cache behind the database)', () => {
    expect(checkSession(claims('user', 4), { epoch: 3, owner: 5 })).toEqual({
      epoch: 3,
      owner: 5,
    });
  });

  it('answers 2013 for a token issued before the epoch moved (password, email, logout)', () => {
    expect(codeOf(() => checkSession(claims('user', 0), { epoch: 1, owner: 5 }))).toBe(
      ErrorCode.TokenExpired,
    );
    expect(codeOf(() => checkSession(claims('account', 6), { epoch: 7, owner: 5 }))).toBe(
      ErrorCode.TokenExpired,
    );
  });

  it('answers 2001 for a deleted user and 2010 for a deleted account, before the epoch', () => {
    expect(codeOf(() => checkSession(claims('user', 0), null))).toBe(ErrorCode.UserNotFound);
    expect(codeOf(() => checkSession(claims('account', 9), null))).toBe(ErrorCode.AccountNotFound);
  });

  it('ends a token exactly when its epoch is below the current one', () => {
    expect(isRevoked(0, 0)).toBe(false);
    expect(isRevoked(1, 0)).toBe(false);
    expect(isRevoked(0, 1)).toBe(true);
    expect(isRevoked(41, 42)).toBe(true);
  });
});
