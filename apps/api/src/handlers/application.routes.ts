import type { ApplicationService } from '@chat/domain';
import { ErrorCode, type SocialSchemas } from '@chat/protocol';
import { route, type AnyRoute } from '../http/route';

/** docs/api.md §8: friend requests. The caller is one side, `account_id` the other. */
export function applicationRoutes(applications: ApplicationService, s: SocialSchemas): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/api/application/create',
      auth: 'account',
      tag: 'application',
      summary: 'Ask another account to become friends',
      from: 'body',
      input: s.applicationCreate.body,
      reply: s.applicationCreate.reply,
      errors: [
        ErrorCode.ApplicationInvalid,
        ErrorCode.AccountNotFound,
        ErrorCode.RelationExists,
        ErrorCode.ApplicationExists,
        ErrorCode.BlockedByAccount,
        ErrorCode.AccountBlocked,
      ],
      handle: ({ input, caller }) =>
        applications.create(caller.accountId, input.account_id, input.apply_msg),
    }),
    route({
      method: 'delete',
      path: '/api/application/delete',
      auth: 'account',
      tag: 'application',
      summary: 'Withdraw the caller’s application to an account',
      // A DELETE: clients may send the id in the query string (docs/api.md §1.3).
      from: 'both',
      input: s.applicationDelete.input,
      reply: s.applicationDelete.reply,
      errors: [ErrorCode.ApplicationNotFound],
      handle: ({ input, caller }) => applications.delete(caller.accountId, input.account_id),
    }),
    route({
      method: 'put',
      path: '/api/application/accept',
      auth: 'account',
      tag: 'application',
      summary: 'Accept an application to the caller: the two become friends',
      from: 'body',
      input: s.applicationAccept.body,
      reply: s.applicationAccept.reply,
      errors: [
        ErrorCode.ApplicationNotFound,
        ErrorCode.ApplicationRepeated,
        ErrorCode.AccountNotFound,
        ErrorCode.RelationExists,
        ErrorCode.BlockedByAccount,
        ErrorCode.AccountBlocked,
      ],
      handle: ({ input, caller }) => applications.accept(caller.accountId, input.account_id),
    }),
    route({
      method: 'put',
      path: '/api/application/refuse',
      auth: 'account',
      tag: 'application',
      summary: 'Refuse a pending application to the caller',
      from: 'body',
      input: s.applicationRefuse.body,
      reply: s.applicationRefuse.reply,
      errors: [ErrorCode.ApplicationNotFound, ErrorCode.ApplicationRepeated],
      handle: ({ input, caller }) =>
        applications.refuse(caller.accountId, input.account_id, input.refuse_msg),
    }),
    route({
      method: 'get',
      path: '/api/application/list',
      auth: 'account',
      tag: 'application',
      summary: 'Applications from or to the caller, newest first',
      from: 'query',
      input: s.applicationList.query,
      reply: s.applicationList.reply,
      handle: ({ input, caller }) =>
        applications.list(caller.accountId, input.page, input.page_size),
    }),
  ];
}
