import { PgBlockRepository, PgPresenceSettingsRepository, PgSettingRepository } from '@chat/db';
import { BlockService, PresenceSettingService, SettingService } from '@chat/domain';
import { socialSchemas } from '@chat/protocol';
import { settingRoutes } from '../handlers/setting.routes';
import type { Area } from './area';

/** docs/api.md §9: conversation settings, friends and the presence setting. */
export const settingArea: Area = {
  name: 'setting',
  routes: ({ db, work, limits, log }) => {
    const service = new SettingService({
      settings: new PgSettingRepository(db.em),
      work,
      log,
    });
    const blocks = new BlockService({ blocks: new PgBlockRepository(db.em), work, log });
    const presence = new PresenceSettingService({
      presence: new PgPresenceSettingsRepository(db.em),
      work,
    });
    return settingRoutes(service, blocks, presence, socialSchemas(limits));
  },
};
