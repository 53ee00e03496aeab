import type { AccountService } from '@chat/domain';
import { ErrorCode, type UserAccountSchemas } from '@chat/protocol';
import { route, type AnyRoute } from '../http/route';

/** docs/api.md §7: the account area. */
export function accountRoutes(accounts: AccountService, s: UserAccountSchemas): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/api/account/create',
      auth: 'user',
      tag: 'account',
      summary: 'Create an account of the user',
      from: 'body',
      input: s.accountCreate.body,
      reply: s.accountCreate.reply,
      errors: [ErrorCode.AccountLimit, ErrorCode.AccountNameUsed],
      handle: ({ input, caller }) => accounts.create(caller.userId, input),
    }),
    route({
      method: 'get',
      path: '/api/account/token',
      auth: 'user',
      tag: 'account',
      summary: 'An account token for one of the user’s accounts',
      from: 'query',
      input: s.accountToken.query,
      reply: s.accountToken.reply,
      errors: [ErrorCode.AccountNotFound, ErrorCode.PermissionDenied],
      handle: ({ input, caller }) => accounts.token(caller.userId, input.account_id),
    }),
    route({
      method: 'post',
      path: '/api/account/logout',
      auth: 'account',
      tag: 'account',
      summary: 'Log the account out on every device',
      description:
        'Ends every token of this account: they answer 2013 from now on, and sockets opened with them are closed with 4401. The user token and the user’s other accounts are not affected.',
      from: 'none',
      handle: ({ caller }) => accounts.logout(caller.accountId),
    }),
    route({
      method: 'delete',
      path: '/api/account/delete',
      auth: 'user',
      tag: 'account',
      summary: 'Delete an account of the user',
      description: 'Its tokens answer 2010 from now on, and its open sockets are closed with 4403.',
      // The reference server read it from the query; its document said body (docs/api.md §1.3).
      from: 'both',
      input: s.accountDelete.input,
      errors: [
        ErrorCode.AccountNotFound,
        ErrorCode.PermissionDenied,
        ErrorCode.AccountIsGroupLeader,
      ],
      handle: ({ input, caller }) => accounts.delete(caller.userId, input.account_id),
    }),
    route({
      method: 'put',
      path: '/api/account/update',
      auth: 'account',
      tag: 'account',
      summary: 'Update name, gender and signature',
      from: 'body',
      input: s.accountUpdate.body,
      errors: [ErrorCode.AccountNameUsed],
      handle: ({ input, caller }) => accounts.update(caller.accountId, input),
    }),
    route({
      method: 'get',
      path: '/api/account/info',
      auth: 'account',
      tag: 'account',
      summary: 'An account’s profile and its relation with the caller',
      from: 'query',
      input: s.accountInfo.query,
      reply: s.accountInfo.reply,
      errors: [ErrorCode.AccountNotFound],
      handle: ({ input, caller }) => accounts.info(caller.accountId, input.account_id),
    }),
    route({
      method: 'get',
      path: '/api/account/infos/user',
      auth: 'user',
      tag: 'account',
      summary: 'All accounts of the user, oldest first',
      from: 'none',
      reply: s.accountsOfUser.reply,
      handle: ({ caller }) => accounts.listOfUser(caller.userId),
    }),
    route({
      method: 'get',
      path: '/api/account/infos/name',
      auth: 'account',
      tag: 'account',
      summary: 'Accounts whose name starts with the query',
      from: 'query',
      input: s.accountsByName.query,
      reply: s.accountsByName.reply,
      handle: ({ input, caller }) =>
        accounts.searchByName(caller.accountId, input.name, input.page, input.page_size),
    }),
  ];
}
