import { PgGroupRepository, PgNoticeRepository } from '@chat/db';
import { NoticeService } from '@chat/domain';
import { groupSchemas } from '@chat/protocol';
import { notifyRoutes } from '../handlers/notify.routes';
import type { Area } from './area';

/** docs/api.md §13: group notices. */
export const notifyArea: Area = {
  name: 'notify',
  routes: ({ db, work, limits, log }) => {
    const service = new NoticeService({
      notices: new PgNoticeRepository(db.em),
      groups: new PgGroupRepository(db.em),
      work,
      log,
    });
    return notifyRoutes(service, groupSchemas(limits));
  },
};
