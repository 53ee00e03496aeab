import { checkSession, type SubjectTokens, type TokenService } from '@chat/auth';

export interface VerifiedAccount {
  accountId: number;
  /** Token expiry, epoch milliseconds. */
  expiresAt: number;
  /** Token epoch the token carries (`TokenClaims.epoch`). */
  epoch: number;
}

/**
 * Checks an account token as docs/protocol.md §2.1 orders it: invalid or not an account token →
 * 2008, expired → 2013, account missing → 2010, and a token of an ended session (password
 * or email changed, logged out) → 2013. The account's token epoch comes from the shared
 * cache, so a login costs no database query.
 */
export class Authenticator {
  constructor(
    private readonly tokens: Pick<TokenService, 'verify'>,
    private readonly accounts: {
      /** The account's token epoch and owner; null when it does not exist. */
      accountTokens(accountId: number): Promise<SubjectTokens | null>;
    },
  ) {}

  async verify(token: string): Promise<VerifiedAccount> {
    const claims = this.tokens.verify(token, 'account');
    checkSession(claims, await this.accounts.accountTokens(claims.subject));
    return { accountId: claims.subject, expiresAt: claims.expiresAt, epoch: claims.epoch };
  }
}
