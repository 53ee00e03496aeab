import { PgBlockRepository, PgSettingRepository } from '@chat/db';
import { BlockService, SettingService } from '@chat/domain';
import { socialSchemas } from '@chat/protocol';
import { settingRoutes } from '../handlers/setting.routes';
import type { Area } from './area';

/** docs/api.md §9: conversation settings and friends. */
export const settingArea: Area = {
  name: 'setting',
  routes: ({ db, work, limits, log }) => {
    const service = new SettingService({
      settings: new PgSettingRepository(db.em),
      work,
      log,
    });
    const blocks = new BlockService({ blocks: new PgBlockRepository(db.em), work, log });
    return settingRoutes(service, blocks, socialSchemas(limits));
  },
};
