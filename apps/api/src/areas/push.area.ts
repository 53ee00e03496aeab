import { ENTRY_KEYS } from '@chat/cache';
import { PgPushDeviceRepository } from '@chat/db';
import { pushSchemas } from '@chat/protocol';
import { DeviceOwners } from '@chat/push';
import { pushRoutes } from '../handlers/push.routes';
import type { Area } from './area';

/** Push devices and settings (docs/push-notifications.md). */
export const pushArea: Area = {
  name: 'push',
  routes: ({ db, cache, config }) => {
    const devices = new PgPushDeviceRepository(db.em);
    return pushRoutes(
      {
        devices,
        owners: new DeviceOwners({
          store: cache.cache,
          keyOf: ENTRY_KEYS.pushDevices,
          load: (ids) => devices.accountsWithDevices(ids),
        }),
        mentionsBreakDnd: config.Push.MentionsBreakDoNotDisturb,
      },
      pushSchemas(),
    );
  },
};
