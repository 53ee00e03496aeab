import type { GroupService } from '@chat/domain';
import { ErrorCode, type GroupSchemas } from '@chat/protocol';
import { route, type AnyRoute } from '../http/route';

/** docs/api.md §10: the group area. Every endpoint acts as the calling account. */
export function groupRoutes(groups: GroupService, s: GroupSchemas): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/api/group/create',
      auth: 'account',
      tag: 'group',
      summary: 'Create a group led by the caller',
      from: 'body',
      input: s.groupCreate.body,
      reply: s.groupCreate.reply,
      handle: ({ input, caller }) => groups.create(caller.accountId, input.name, input.description),
    }),
    route({
      method: 'post',
      path: '/api/group/transfer',
      auth: 'account',
      tag: 'group',
      summary: 'Hand the leadership to another member',
      from: 'body',
      input: s.groupTransfer.body,
      reply: s.groupTransfer.reply,
      errors: [ErrorCode.NotGroupLeader, ErrorCode.NotGroupMember],
      handle: ({ input, caller }) =>
        groups.transfer(caller.accountId, input.relation_id, input.to_account_id),
    }),
    route({
      method: 'post',
      path: '/api/group/dissolve',
      auth: 'account',
      tag: 'group',
      summary: 'Delete the group with its messages and notices',
      from: 'body',
      input: s.groupDissolve.body,
      reply: s.groupDissolve.reply,
      errors: [ErrorCode.NotGroupLeader],
      handle: ({ input, caller }) => groups.dissolve(caller.accountId, input.relation_id),
    }),
    route({
      method: 'post',
      path: '/api/group/update',
      auth: 'account',
      tag: 'group',
      summary: 'Rename the group and change its description (any member)',
      from: 'body',
      input: s.groupUpdate.body,
      reply: s.groupUpdate.reply,
      errors: [ErrorCode.NotGroupMember, ErrorCode.RelationNotFound],
      handle: ({ input, caller }) =>
        groups.update(caller.accountId, input.relation_id, input.name, input.description),
    }),
    route({
      method: 'post',
      path: '/api/group/invite',
      auth: 'account',
      tag: 'group',
      summary: 'Add friends of the caller to the group',
      from: 'body',
      input: s.groupInvite.body,
      reply: s.groupInvite.reply,
      errors: [ErrorCode.NotGroupMember, ErrorCode.RelationNotFound],
      handle: ({ input, caller }) =>
        groups.invite(caller.accountId, input.relation_id, input.account_id),
    }),
    route({
      method: 'post',
      path: '/api/group/quit',
      auth: 'account',
      tag: 'group',
      summary: 'Leave the group (not its leader)',
      from: 'body',
      input: s.groupQuit.body,
      reply: s.groupQuit.reply,
      errors: [ErrorCode.LeaderCannotQuit, ErrorCode.NotGroupMember, ErrorCode.RelationNotFound],
      handle: ({ input, caller }) => groups.quit(caller.accountId, input.relation_id),
    }),
    route({
      method: 'get',
      path: '/api/group/list',
      auth: 'account',
      tag: 'group',
      summary: 'Groups of the caller, by last_show ascending',
      from: 'none',
      reply: s.groupList.reply,
      handle: ({ caller }) => groups.list(caller.accountId),
    }),
    route({
      method: 'post',
      path: '/api/group/name',
      auth: 'account',
      tag: 'group',
      summary: 'Groups of the caller whose name contains the query',
      // Name in the body, paging in the query string or the body (docs/api.md §10, §1.3).
      from: 'both',
      input: s.groupByName.input,
      reply: s.groupByName.reply,
      handle: ({ input, caller }) =>
        groups.searchByName(caller.accountId, input.name, input.page, input.page_size),
    }),
    route({
      method: 'get',
      path: '/api/group/members',
      auth: 'account',
      tag: 'group',
      summary: 'Members of a group, leader first',
      from: 'query',
      input: s.groupMembers.query,
      reply: s.groupMembers.reply,
      errors: [ErrorCode.NotGroupMember, ErrorCode.RelationNotFound],
      handle: ({ input, caller }) => groups.members(caller.accountId, input.relation_id),
    }),
    route({
      method: 'post',
      path: '/api/group/mute',
      auth: 'account',
      tag: 'group',
      summary: 'The leader mutes a member for a while: its send_msg in the group answers 7004',
      from: 'body',
      input: s.groupMute.body,
      reply: s.groupMute.reply,
      errors: [
        ErrorCode.NotGroupMember,
        ErrorCode.RelationNotFound,
        ErrorCode.NotGroupLeader,
        ErrorCode.CannotMuteSelf,
      ],
      handle: async ({ input, caller }) => {
        const done = await groups.mute(
          caller.accountId,
          input.relation_id,
          input.account_id,
          input.duration_seconds,
        );
        return { muted_until: done.muted_until as string };
      },
    }),
    route({
      method: 'post',
      path: '/api/group/unmute',
      auth: 'account',
      tag: 'group',
      summary: 'The leader lifts a member’s mute',
      from: 'body',
      input: s.groupUnmute.body,
      reply: s.groupUnmute.reply,
      errors: [
        ErrorCode.NotGroupMember,
        ErrorCode.RelationNotFound,
        ErrorCode.NotGroupLeader,
        ErrorCode.CannotMuteSelf,
      ],
      handle: async ({ input, caller }) => {
        await groups.mute(caller.accountId, input.relation_id, input.account_id, null);
        return {};
      },
    }),
  ];
}
