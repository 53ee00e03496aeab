import { hashPassword, verifyPassword } from '@chat/auth';
import { PgAccountRepository, PgUserRepository } from '@chat/db';
import { UserService } from '@chat/domain';
import { userAccountSchemas } from '@chat/protocol';
import { userRoutes } from '../handlers/user.routes';
import { LoginGuard } from './login-guard';
import type { Area } from './area';

/** docs/api.md §4–6: ping, user and email. */
export const userArea: Area = {
  name: 'user',
  routes: ({ config, db, cache, work, mailQueue, tokens, sessions, limits, log }) => {
    const service = new UserService({
      users: new PgUserRepository(db.em),
      accounts: new PgAccountRepository(db.em),
      codes: cache.codes({
        codeLength: config.Rule.CodeLength,
        codeTtlMs: config.Rule.CodeMarkDuration,
        resendIntervalMs: config.Rule.UserMarkDuration,
      }),
      mailQueue,
      tokens,
      passwords: { hash: hashPassword, verify: verifyPassword },
      work,
      sessions,
      codeValidMs: config.Rule.CodeMarkDuration,
      log,
    });
    const guard = new LoginGuard(cache.limiter, {
      email: config.Limit.APILimit.LoginFailEmail,
      address: config.Limit.APILimit.LoginFailAddress,
    });
    return userRoutes(service, userAccountSchemas(limits), guard);
  },
};
