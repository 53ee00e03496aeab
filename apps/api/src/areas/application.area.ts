import { PgApplicationRepository, PgBlockRepository } from '@chat/db';
import { ApplicationService } from '@chat/domain';
import { socialSchemas } from '@chat/protocol';
import { applicationRoutes } from '../handlers/application.routes';
import type { Area } from './area';

/** docs/api.md §8: friend requests. */
export const applicationArea: Area = {
  name: 'application',
  routes: ({ db, work, ids, limits, log }) => {
    const service = new ApplicationService({
      applications: new PgApplicationRepository(db.em),
      blocks: new PgBlockRepository(db.em),
      work,
      ids,
      log,
    });
    return applicationRoutes(service, socialSchemas(limits));
  },
};
