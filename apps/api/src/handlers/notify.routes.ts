import type { NoticeService } from '@chat/domain';
import { ErrorCode, type GroupSchemas } from '@chat/protocol';
import { route, type AnyRoute } from '../http/route';

/** docs/api.md §13: group notices. */
export function notifyRoutes(notices: NoticeService, s: GroupSchemas): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/api/notify/create',
      auth: 'account',
      tag: 'notify',
      summary: 'Publish a group notice (leader)',
      from: 'body',
      input: s.notifyCreate.body,
      reply: s.notifyCreate.reply,
      errors: [ErrorCode.NotGroupMember, ErrorCode.NotGroupLeader, ErrorCode.RelationNotFound],
      handle: ({ input, caller }) =>
        notices.create(caller.accountId, input.relation_id, {
          msgContent: input.msg_content,
          msgExpand: input.msg_expand,
        }),
    }),
    route({
      method: 'post',
      path: '/api/notify/update',
      auth: 'account',
      tag: 'notify',
      summary: 'Edit a notice of the group (any member)',
      from: 'body',
      input: s.notifyUpdate.body,
      reply: s.notifyUpdate.reply,
      errors: [ErrorCode.NotGroupMember, ErrorCode.NotifyNotFound, ErrorCode.RelationNotFound],
      handle: ({ input, caller }) =>
        notices.update(caller.accountId, input.id, input.relation_id, {
          msgContent: input.msg_content,
          msgExpand: input.msg_expand,
        }),
    }),
    route({
      method: 'get',
      path: '/api/notify/getnotify',
      auth: 'account',
      tag: 'notify',
      summary: 'Notices of a group, newest first',
      from: 'query',
      input: s.notifyList.query,
      reply: s.notifyList.reply,
      errors: [ErrorCode.NotGroupMember, ErrorCode.RelationNotFound],
      handle: ({ input, caller }) => notices.list(caller.accountId, input.relation_id),
    }),
    route({
      method: 'get',
      path: '/api/notify/delete',
      auth: 'account',
      tag: 'notify',
      summary: 'Delete a notice of the group (leader; a GET kept for compatibility)',
      from: 'query',
      input: s.notifyDelete.query,
      errors: [
        ErrorCode.NotGroupMember,
        ErrorCode.NotGroupLeader,
        ErrorCode.NotifyNotFound,
        ErrorCode.RelationNotFound,
      ],
      handle: ({ input, caller }) => notices.delete(caller.accountId, input.id, input.relation_id),
    }),
  ];
}
