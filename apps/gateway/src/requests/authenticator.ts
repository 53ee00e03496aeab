import type { TokenService } from '@chat/auth';
import { AppError, ErrorCode } from '@chat/protocol';

export interface VerifiedAccount {
  accountId: number;
  /** Token expiry, epoch milliseconds. */
  expiresAt: number;
}

/**
 * Checks an account token as EVENTS.md §2.1 orders it: invalid or not an account token →
 * 2008, expired → 2013, account missing → 2010.
 */
export class Authenticator {
  constructor(
    private readonly tokens: Pick<TokenService, 'verify'>,
    private readonly accounts: { accountExists(accountId: number): Promise<boolean> },
  ) {}

  async verify(token: string): Promise<VerifiedAccount> {
    const claims = this.tokens.verify(token, 'account');
    if (!(await this.accounts.accountExists(claims.subject))) {
      throw new AppError(ErrorCode.AccountNotFound);
    }
    return { accountId: claims.subject, expiresAt: claims.expiresAt };
  }
}
