import { PgAccountRepository } from '@chat/db';
import { AccountService } from '@chat/domain';
import { userAccountSchemas } from '@chat/protocol';
import { accountRoutes } from '../handlers/account.routes';
import type { Area } from './area';

/** docs/api.md §7: accounts. */
export const accountArea: Area = {
  name: 'account',
  routes: ({ config, db, work, tokens, sessions, limits, log }) => {
    const service = new AccountService({
      accounts: new PgAccountRepository(db.em),
      tokens,
      work,
      sessions,
      maxPerUser: config.Rule.AccountNumMax,
      defaultAvatar: config.Rule.DefaultAvatarURL,
      log,
    });
    return accountRoutes(service, userAccountSchemas(limits));
  },
};
