import type { PushDeviceRecord, PushDeviceRepository } from '@chat/db';
import type { PushSchemas } from '@chat/protocol';
import { route, type AnyRoute } from '../http/route';

const out = (d: PushDeviceRecord) => ({
  device_id: d.id,
  platform: d.platform,
  token: d.token,
  create_at: d.createAt.toISOString(),
});

/** Push devices (docs/push-notifications.md): notifications while the account has no socket online. */
export function pushRoutes(devices: PushDeviceRepository, s: PushSchemas): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/api/push/register',
      auth: 'account',
      tag: 'push',
      summary: 'Register this device for push notifications',
      description:
        'FCM and APNs devices send their token; browsers their Web Push subscription. Registering the same token again refreshes it (and moves it from another account). The device is notified of messages while the account has no socket online, except in conversations set do-not-disturb.',
      from: 'body',
      input: s.register.body,
      reply: s.register.reply,
      handle: async ({ input, caller }) =>
        out(
          await devices.register(
            caller.accountId,
            input.platform === 'webpush'
              ? {
                  platform: 'webpush',
                  token: input.subscription.endpoint,
                  keys: input.subscription.keys,
                }
              : { platform: input.platform, token: input.token },
          ),
        ),
    }),
    route({
      method: 'delete',
      path: '/api/push/unregister',
      auth: 'account',
      tag: 'push',
      summary: 'Stop push notifications to a device',
      description: '`removed` is false when the account had no such device.',
      from: 'query',
      input: s.unregister.query,
      reply: s.unregister.reply,
      handle: async ({ input, caller }) => ({
        removed: await devices.unregister(
          caller.accountId,
          input.platform,
          input.platform === 'apns' ? input.token.toLowerCase() : input.token,
        ),
      }),
    }),
    route({
      method: 'get',
      path: '/api/push/devices',
      auth: 'account',
      tag: 'push',
      summary: 'Devices of this account registered for push notifications, oldest first',
      from: 'none',
      reply: s.list.reply,
      handle: async ({ caller }) => ({ list: (await devices.listOf(caller.accountId)).map(out) }),
    }),
  ];
}
