import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError, ErrorCode } from '@chat/protocol';

/** docs/api.md §1.4: a token carries a type, the subject id and an expiry. */
export type TokenKind = 'user' | 'account';

export interface IssuedToken {
  token: string;
  /** RFC 3339 with milliseconds, UTC (docs/api.md §1.2). */
  expired_at: string;
}

export interface TokenClaims {
  kind: TokenKind;
  /** User id for user tokens, account id for account tokens. */
  subject: number;
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
  /**
   * The subject's token epoch when the token was issued (claim `ep`; 0 for tokens issued
   * before epochs existed). Password or email change, logout and deletion move the
   * subject's epoch forward, which ends every token carrying an older one (`checkSession`).
   */
  epoch: number;
}

export interface TokenSettings {
  /** HMAC key, at least 32 characters (config `Token.Key`). */
  key: string;
  userTokenTtlMs: number;
  accountTokenTtlMs: number;
  /** Header that carries the token (`Token.AuthorizationKey`). */
  headerName: string;
  /** Scheme before the token, matched case-insensitively (`Token.AuthorizationType`). */
  scheme: string;
}

interface Payload {
  typ: TokenKind;
  sub: string;
  /** Token epoch of the subject at issue time. */
  ep?: number;
}

const ALGORITHM = 'HS256';

/** Issues and verifies user and account tokens (signed JWTs). */
export class TokenService {
  /**
   * The HMAC key as a key object, made once: given the string, jsonwebtoken first tries to
   * read it as a PEM public key on every call and builds the secret key after that attempt
   * fails, which profiling showed as a large share of a gateway's time while sockets log in.
   */
  private readonly key: KeyObject;

  constructor(
    private readonly settings: TokenSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createSecretKey(Buffer.from(settings.key, 'utf8'));
  }

  get headerName(): string {
    return this.settings.headerName;
  }

  /** A token for `subject`, carrying the subject's current token `epoch`. */
  issue(kind: TokenKind, subject: number, epoch: number): IssuedToken {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new RangeError(`token epoch must be a whole number ≥ 0, got ${epoch}`);
    }
    const ttlMs = kind === 'user' ? this.settings.userTokenTtlMs : this.settings.accountTokenTtlMs;
    const nowMs = this.now();
    // JWT times are whole seconds; the reported expiry is the one the token really carries.
    const exp = Math.floor((nowMs + ttlMs) / 1000);
    const payload: Payload & { iat: number; exp: number } = {
      typ: kind,
      sub: String(subject),
      ep: epoch,
      iat: Math.floor(nowMs / 1000),
      exp,
    };
    const token = jwt.sign(payload, this.key, { algorithm: ALGORITHM });
    return { token, expired_at: new Date(exp * 1000).toISOString() };
  }

  /**
   * Checks a bare token. Order of docs/api.md §1.4: undecodable or bad signature → 2008,
   * expired → 2013, token of the other kind → 2008.
   */
  verify(token: string, expected: TokenKind): TokenClaims {
    let decoded: unknown;
    try {
      decoded = jwt.verify(token, this.key, {
        algorithms: [ALGORITHM],
        clockTimestamp: Math.floor(this.now() / 1000),
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw new AppError(ErrorCode.TokenExpired);
      throw new AppError(ErrorCode.AuthFailed, undefined, { cause: err });
    }
    const p = decoded as Partial<Payload> & { exp?: number };
    const subject = Number(p.sub);
    const epoch = p.ep ?? 0;
    if (
      (p.typ !== 'user' && p.typ !== 'account') ||
      !Number.isSafeInteger(subject) ||
      subject < 1 ||
      typeof p.exp !== 'number' ||
      !Number.isSafeInteger(epoch) ||
      epoch < 0
    ) {
      throw new AppError(ErrorCode.AuthFailed);
    }
    if (p.typ !== expected) throw new AppError(ErrorCode.AuthFailed, 'token of the wrong kind');
    return { kind: p.typ, subject, expiresAt: p.exp * 1000, epoch };
  }

  /**
   * Extracts the token from a header value: missing → 2007; not `<scheme> <token>` → 2008.
   */
  fromHeader(value: string | undefined): string {
    if (value === undefined || value.trim() === '') throw new AppError(ErrorCode.AuthMissing);
    const match = /^(\S+)\s+(\S+)\s*$/.exec(value.trim());
    if (!match || match[1].toLowerCase() !== this.settings.scheme.toLowerCase()) {
      throw new AppError(ErrorCode.AuthFailed, 'authorization header is not "<scheme> <token>"');
    }
    return match[2];
  }
}
