import jwt from 'jsonwebtoken';
import { ErrorCode } from '@chat/protocol';
import { codeOf } from '@chat/protocol/testing';
import { TokenService, type TokenSettings } from './tokens';
import { hashPassword, verifyPassword } from './passwords';

const settings: TokenSettings = {
  key: 'k'.repeat(32),
  userTokenTtlMs: 24 * 3600_000,
  accountTokenTtlMs: 3600_000,
  headerName: 'Authorization',
  scheme: 'bearer',
};

describe('TokenService', () => {
  let now = Date.UTC(2025, 0, 1);
  const tokens = new TokenService(settings, () => now);

  beforeEach(() => {
    now = Date.UTC(2025, 0, 1);
  });

  it('issues a token whose claims verify and whose expiry is reported in RFC 3339', () => {
    const issued = tokens.issue('account', 42, 3);
    expect(issued.expired_at).toBe('2025-01-01T01:00:00.000Z');
    expect(tokens.verify(issued.token, 'account')).toEqual({
      kind: 'account',
      subject: 42,
      expiresAt: Date.UTC(2025, 0, 1, 1),
      epoch: 3,
    });
  });

  it('reads a token without an epoch (issued before epochs existed) as epoch 0', () => {
    const old = jwt.sign({ typ: 'user', sub: '7', exp: 2e9 }, settings.key, { algorithm: 'HS256' });
    expect(tokens.verify(old, 'user').epoch).toBe(0);
  });

  it('answers 2008 for a signed token whose epoch is not a whole number ≥ 0', () => {
    for (const ep of [-1, 1.5, '2']) {
      const bad = jwt.sign({ typ: 'user', sub: '7', ep, exp: 2e9 }, settings.key, {
        algorithm: 'HS256',
      });
      expect(codeOf(() => tokens.verify(bad, 'user'))).toBe(ErrorCode.AuthFailed);
    }
  });

  it('refuses to issue a token with a negative or fractional epoch', () => {
    expect(() => tokens.issue('user', 7, -1)).toThrow(RangeError);
    expect(() => tokens.issue('user', 7, 0.5)).toThrow(RangeError);
  });

  it('answers 2013 once the token expired', () => {
    const issued = tokens.issue('user', 7, 0);
    now += 24 * 3600_000 + 1000;
    expect(codeOf(() => tokens.verify(issued.token, 'user'))).toBe(ErrorCode.TokenExpired);
  });

  it('answers 2008 for a token of the other kind', () => {
    const issued = tokens.issue('user', 7, 0);
    expect(codeOf(() => tokens.verify(issued.token, 'account'))).toBe(ErrorCode.AuthFailed);
  });

  it('answers 2008 for a tampered token, another key, or garbage', () => {
    const issued = tokens.issue('user', 7, 0);
    const [h, , s] = issued.token.split('.');
    const forged = Buffer.from(JSON.stringify({ typ: 'user', sub: '8', exp: 2e9 })).toString(
      'base64url',
    );
    expect(codeOf(() => tokens.verify(`${h}.${forged}.${s}`, 'user'))).toBe(ErrorCode.AuthFailed);
    const other = jwt.sign({ typ: 'user', sub: '7' }, 'x'.repeat(32), { expiresIn: 60 });
    expect(codeOf(() => tokens.verify(other, 'user'))).toBe(ErrorCode.AuthFailed);
    expect(codeOf(() => tokens.verify('not-a-token', 'user'))).toBe(ErrorCode.AuthFailed);
  });

  it('refuses an unsigned (alg none) token', () => {
    const none = jwt.sign({ typ: 'user', sub: '7', exp: 2e9 }, '', { algorithm: 'none' });
    expect(codeOf(() => tokens.verify(none, 'user'))).toBe(ErrorCode.AuthFailed);
  });

  it('reads the header: missing is 2007, a wrong scheme is 2008, the scheme is case-insensitive', () => {
    expect(codeOf(() => tokens.fromHeader(undefined))).toBe(ErrorCode.AuthMissing);
    expect(codeOf(() => tokens.fromHeader('Basic abc'))).toBe(ErrorCode.AuthFailed);
    expect(codeOf(() => tokens.fromHeader('abc'))).toBe(ErrorCode.AuthFailed);
    expect(tokens.fromHeader('BEARER abc.def')).toBe('abc.def');
  });
});

describe('passwords', () => {
  it('hashes with argon2id and verifies only the right password', async () => {
    const stored = await hashPassword('secret-1');
    expect(stored.startsWith('$argon2id$')).toBe(true);
    expect(stored).not.toContain('secret-1');
    expect(await verifyPassword(stored, 'secret-1')).toBe(true);
    expect(await verifyPassword(stored, 'secret-2')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'secret-1')).toBe(false);
  });
});
