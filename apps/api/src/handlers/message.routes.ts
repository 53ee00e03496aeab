import type { MessageService } from '@chat/domain';
import { ErrorCode, SYNC_MAX_LIMIT, SYNC_MAX_MESSAGES, type MessageSchemas } from '@chat/protocol';
import { route, type AnyRoute } from '../http/route';

const page = (i: { page: number; page_size: number }) => ({ page: i.page, pageSize: i.page_size });

/** docs/api.md §11 (history, search and state changes) and the sequence sync endpoint. */
export function messageRoutes(messages: MessageService, s: MessageSchemas): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/msg/list/time',
      auth: 'account',
      tag: 'message',
      summary: 'History of a conversation before a time, oldest first',
      from: 'query',
      input: s.listTime.query,
      reply: s.listTime.reply,
      errors: [ErrorCode.PermissionDenied],
      handle: ({ input, caller }) =>
        messages.listByTime(caller.accountId, input.relation_id, input.last_time, page(input)),
    }),
    route({
      method: 'get',
      path: '/api/msg/list/feed',
      auth: 'account',
      tag: 'message',
      summary: 'Messages of every conversation after a time, with read flags',
      from: 'query',
      input: s.listFeed.query,
      reply: s.listFeed.reply,
      handle: ({ input, caller }) => messages.feed(caller.accountId, input.last_time, page(input)),
    }),
    route({
      method: 'get',
      path: '/api/msg/list/pin',
      auth: 'account',
      tag: 'message',
      summary: 'Pinned messages, most recently pinned first',
      from: 'query',
      input: s.listPin.query,
      reply: s.listPin.reply,
      errors: [ErrorCode.PermissionDenied],
      handle: ({ input, caller }) =>
        messages.pinned(caller.accountId, input.relation_id, page(input)),
    }),
    route({
      method: 'get',
      path: '/api/msg/list/rly',
      auth: 'account',
      tag: 'message',
      summary: 'Replies to a message, oldest first',
      from: 'query',
      input: s.listRly.query,
      reply: s.listRly.reply,
      errors: [ErrorCode.PermissionDenied],
      handle: ({ input, caller }) =>
        messages.replies(caller.accountId, input.relation_id, input.rly_msg_id, page(input)),
    }),
    route({
      method: 'get',
      path: '/api/msg/list/content',
      auth: 'account',
      tag: 'message',
      summary: 'Search text messages by substring (Chinese and English), newest first',
      from: 'query',
      input: s.listContent.query,
      reply: s.listContent.reply,
      errors: [ErrorCode.PermissionDenied],
      handle: ({ input, caller }) =>
        messages.search(caller.accountId, input.relation_id, input.content, page(input)),
    }),
    route({
      method: 'get',
      path: '/api/msg/info/top',
      auth: 'account',
      tag: 'message',
      summary: 'The top message of a conversation, or null',
      from: 'query',
      input: s.infoTop.query,
      reply: s.infoTop.reply,
      errors: [ErrorCode.PermissionDenied],
      handle: async ({ input, caller }) =>
        (await messages.top(caller.accountId, input.relation_id)) ?? null,
    }),
    route({
      method: 'put',
      path: '/api/msg/update/pin',
      auth: 'account',
      tag: 'message',
      summary: 'Pin or unpin a message',
      from: 'body',
      input: s.updatePin.body,
      errors: [ErrorCode.PermissionDenied, ErrorCode.MessageNotFound, ErrorCode.MessageRevoked],
      handle: ({ input, caller }) =>
        messages.setPin(caller.accountId, input.relation_id, input.id, input.is_pin),
    }),
    route({
      method: 'put',
      path: '/api/msg/update/top',
      auth: 'account',
      tag: 'message',
      summary: 'Make a message the conversation’s top message, or remove it',
      from: 'body',
      input: s.updateTop.body,
      errors: [ErrorCode.PermissionDenied, ErrorCode.MessageNotFound, ErrorCode.MessageRevoked],
      handle: ({ input, caller }) =>
        messages.setTop(caller.accountId, input.relation_id, input.id, input.is_top),
    }),
    route({
      method: 'put',
      path: '/api/msg/update/revoke',
      auth: 'account',
      tag: 'message',
      summary: 'Revoke one of your messages',
      from: 'body',
      input: s.updateRevoke.body,
      errors: [ErrorCode.PermissionDenied, ErrorCode.MessageNotFound, ErrorCode.MessageRevoked],
      handle: ({ input, caller }) => messages.revoke(caller.accountId, input.id),
    }),
    route({
      method: 'put',
      path: '/api/msg/update/edit',
      auth: 'account',
      tag: 'message',
      summary: 'Edit the text of one of your text messages, within Message.EditWindowSeconds',
      from: 'body',
      input: s.updateEdit.body,
      errors: [
        ErrorCode.PermissionDenied,
        ErrorCode.MessageNotFound,
        ErrorCode.MessageRevoked,
        ErrorCode.MessageNotEditable,
        ErrorCode.EditWindowPassed,
      ],
      handle: ({ input, caller }) => messages.edit(caller.accountId, input.id, input.msg_content),
    }),
    route({
      method: 'put',
      path: '/api/msg/update/reaction',
      auth: 'account',
      tag: 'message',
      summary: 'Add (state true) or remove (state false) your reaction to a message; idempotent',
      from: 'body',
      input: s.updateReaction.body,
      errors: [
        ErrorCode.PermissionDenied,
        ErrorCode.MessageNotFound,
        ErrorCode.MessageRevoked,
        ErrorCode.TooManyReactions,
      ],
      handle: ({ input, caller }) =>
        messages.react(caller.accountId, input.id, input.emoji, input.state),
    }),
    route({
      method: 'get',
      path: '/api/msg/list/mention',
      auth: 'account',
      tag: 'message',
      summary:
        'Messages mentioning you (one conversation, or all with relation_id 0), newest first',
      from: 'query',
      input: s.listMention.query,
      reply: s.listMention.reply,
      errors: [ErrorCode.PermissionDenied],
      handle: ({ input, caller }) =>
        messages.mentions(caller.accountId, input.relation_id, page(input)),
    }),
    route({
      method: 'post',
      path: '/api/msg/sync',
      auth: 'account',
      tag: 'message',
      summary: `Everything after the last sequence seen, per conversation: each named once, up to min(limit ≤ ${SYNC_MAX_LIMIT}, ${SYNC_MAX_MESSAGES} ÷ conversations) messages each; has_more says where to call again`,
      from: 'body',
      input: s.sync.body,
      reply: s.sync.reply,
      errors: [ErrorCode.PermissionDenied],
      handle: ({ input, caller }) =>
        messages.sync(caller.accountId, input.relations, input.limit ?? 100),
    }),
  ];
}
