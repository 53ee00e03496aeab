import { PgBlockRepository, PgGroupRepository } from '@chat/db';
import { GroupService } from '@chat/domain';
import { groupSchemas } from '@chat/protocol';
import { groupRoutes } from '../handlers/group.routes';
import type { Area } from './area';

/** docs/api.md §10: groups. */
export const groupArea: Area = {
  name: 'group',
  routes: ({ config, db, work, limits, log }) => {
    const service = new GroupService({
      groups: new PgGroupRepository(db.em),
      blocks: new PgBlockRepository(db.em),
      work,
      defaultAvatar: config.Rule.DefaultAvatarURL,
      log,
    });
    return groupRoutes(service, groupSchemas(limits));
  },
};
