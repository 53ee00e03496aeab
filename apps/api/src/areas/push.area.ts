import { PgPushDeviceRepository } from '@chat/db';
import { pushSchemas } from '@chat/protocol';
import { pushRoutes } from '../handlers/push.routes';
import type { Area } from './area';

/** Push devices (docs/push-notifications.md). */
export const pushArea: Area = {
  name: 'push',
  routes: ({ db }) => pushRoutes(new PgPushDeviceRepository(db.em), pushSchemas()),
};
