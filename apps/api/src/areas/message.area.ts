import { PgMembershipRepository, PgMessageQueryRepository } from '@chat/db';
import { MessageService } from '@chat/domain';
import { messageSchemas } from '@chat/protocol';
import { messageRoutes } from '../handlers/message.routes';
import type { Area } from './area';

/** docs/api.md §11: history, search, pin / top / revoke / edit / reactions, mentions, sequence sync. */
export const messageArea: Area = {
  name: 'message',
  routes: ({ config, db, work, ids, limits, log }) => {
    const service = new MessageService({
      messages: new PgMessageQueryRepository(db.em),
      membership: new PgMembershipRepository(db.em),
      work,
      ids,
      log,
      rules: {
        editWindowMs: config.Message.EditWindowSeconds * 1000,
        maxReactions: config.Message.MaxReactions,
      },
    });
    return messageRoutes(service, messageSchemas(limits));
  },
};
