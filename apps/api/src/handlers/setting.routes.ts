import type { BlockService, SettingService } from '@chat/domain';
import { ErrorCode, type SocialSchemas } from '@chat/protocol';
import { route, type AnyRoute } from '../http/route';

/** docs/api.md §9: the caller's conversation settings and friends. */
export function settingRoutes(
  settings: SettingService,
  blocks: BlockService,
  s: SocialSchemas,
): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/setting/pins',
      auth: 'account',
      tag: 'setting',
      summary: 'Pinned conversations, by pin_time ascending',
      from: 'none',
      reply: s.settingPins.reply,
      handle: ({ caller }) => settings.pins(caller.accountId),
    }),
    route({
      method: 'get',
      path: '/api/setting/shows',
      auth: 'account',
      tag: 'setting',
      summary: 'Shown conversations, by last_show descending',
      from: 'none',
      reply: s.settingShows.reply,
      handle: ({ caller }) => settings.shows(caller.accountId),
    }),
    route({
      method: 'put',
      path: '/api/setting/update/nick_name',
      auth: 'account',
      tag: 'setting',
      summary: 'Set the remark for a friend or the nickname in a group',
      from: 'body',
      input: s.updateNickName.body,
      reply: s.updateNickName.reply,
      errors: [ErrorCode.RelationNotFound],
      handle: ({ input, caller }) =>
        settings.update(caller.accountId, input.relation_id, {
          field: 'nickName',
          value: input.nick_name,
        }),
    }),
    route({
      method: 'put',
      path: '/api/setting/update/pin',
      auth: 'account',
      tag: 'setting',
      summary: 'Pin or unpin a conversation',
      from: 'body',
      input: s.updatePin.body,
      reply: s.updatePin.reply,
      errors: [ErrorCode.RelationNotFound],
      handle: ({ input, caller }) =>
        settings.update(caller.accountId, input.relation_id, {
          field: 'isPin',
          value: input.is_pin,
        }),
    }),
    route({
      method: 'put',
      path: '/api/setting/update/disturb',
      auth: 'account',
      tag: 'setting',
      summary: 'Mute or unmute a conversation',
      from: 'body',
      input: s.updateDisturb.body,
      reply: s.updateDisturb.reply,
      errors: [ErrorCode.RelationNotFound],
      handle: ({ input, caller }) =>
        settings.update(caller.accountId, input.relation_id, {
          field: 'isNotDisturb',
          value: input.is_not_disturb,
        }),
    }),
    route({
      method: 'put',
      path: '/api/setting/update/show',
      auth: 'account',
      tag: 'setting',
      summary: 'Show (and move to the top) or hide a conversation',
      from: 'body',
      input: s.updateShow.body,
      reply: s.updateShow.reply,
      errors: [ErrorCode.RelationNotFound],
      handle: ({ input, caller }) =>
        settings.update(caller.accountId, input.relation_id, {
          field: 'isShow',
          value: input.is_show,
        }),
    }),
    route({
      method: 'get',
      path: '/api/setting/friend/list',
      auth: 'account',
      tag: 'setting',
      summary: 'Friend conversations (the self conversation included), by friend name',
      from: 'none',
      reply: s.friendList.reply,
      handle: ({ caller }) => settings.friends(caller.accountId),
    }),
    route({
      method: 'delete',
      path: '/api/setting/friend/delete',
      auth: 'account',
      tag: 'setting',
      summary: 'End a friendship: the conversation and its messages are deleted',
      // A DELETE: clients may send the id in the query string (docs/api.md §1.3).
      from: 'both',
      input: s.friendDelete.input,
      reply: s.friendDelete.reply,
      errors: [ErrorCode.RelationNotFound, ErrorCode.PermissionDenied],
      handle: ({ input, caller }) => settings.deleteFriend(caller.accountId, input.relation_id),
    }),
    route({
      method: 'get',
      path: '/api/setting/friend/name',
      auth: 'account',
      tag: 'setting',
      summary: 'Friends whose account name or remark contains the query',
      from: 'query',
      input: s.friendByName.query,
      reply: s.friendByName.reply,
      handle: ({ input, caller }) =>
        settings.searchFriends(caller.accountId, input.name, input.page, input.page_size),
    }),
    route({
      method: 'post',
      path: '/api/setting/block/add',
      auth: 'account',
      tag: 'setting',
      summary: 'Block an account: no messages, friend requests or group invites from it',
      from: 'body',
      input: s.blockAdd.body,
      reply: s.blockAdd.reply,
      errors: [ErrorCode.AccountNotFound, ErrorCode.CannotBlockSelf],
      handle: ({ input, caller }) => blocks.add(caller.accountId, input.account_id),
    }),
    route({
      method: 'delete',
      path: '/api/setting/block/delete',
      auth: 'account',
      tag: 'setting',
      summary: 'Unblock an account; a friendship with it is listed again',
      // A DELETE: clients may send the id in the query string (docs/api.md §1.3).
      from: 'both',
      input: s.blockDelete.input,
      reply: s.blockDelete.reply,
      handle: ({ input, caller }) => blocks.remove(caller.accountId, input.account_id),
    }),
    route({
      method: 'get',
      path: '/api/setting/block/list',
      auth: 'account',
      tag: 'setting',
      summary: 'Accounts the caller blocked, latest first',
      from: 'query',
      input: s.blockList.query,
      reply: s.blockList.reply,
      handle: ({ input, caller }) => blocks.list(caller.accountId, input.page, input.page_size),
    }),
  ];
}
