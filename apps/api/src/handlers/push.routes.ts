import type { PushDeviceRecord, PushDeviceRepository } from '@chat/db';
import { AppError, ErrorCode, type PushSchemas } from '@chat/protocol';
import type { DeviceOwners } from '@chat/push';
import { route, type AnyRoute } from '../http/route';

const out = (d: PushDeviceRecord) => ({
  device_id: d.id,
  platform: d.platform,
  token: d.token,
  create_at: d.createAt.toISOString(),
});

export interface PushRouteDeps {
  devices: PushDeviceRepository;
  /**
   * The cached "has a device" the notifier reads: told of every registration before it is
   * answered (so the next message notifies the new device) and of every removal.
   */
  owners: Pick<DeviceOwners, 'registered' | 'removed'>;
  /** `Push.MentionsBreakDoNotDisturb`: the setting of an account that never chose. */
  mentionsBreakDnd: boolean;
}

/**
 * Push devices and settings (docs/push-notifications.md): notifications while the account
 * has no socket online.
 */
export function pushRoutes(deps: PushRouteDeps, s: PushSchemas): AnyRoute[] {
  const { devices, owners } = deps;
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
      handle: async ({ input, caller }) => {
        const device = await devices.register(
          caller.accountId,
          input.platform === 'webpush'
            ? {
                platform: 'webpush',
                token: input.subscription.endpoint,
                keys: input.subscription.keys,
              }
            : { platform: input.platform, token: input.token },
        );
        // After the row is committed, before answering: a failure here answers an error
        // (registering again is harmless), never a success the notifier cannot see.
        await owners.registered(caller.accountId);
        return out(device);
      },
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
      handle: async ({ input, caller }) => {
        const removed = await devices.unregister(
          caller.accountId,
          input.platform,
          input.platform === 'apns' ? input.token.toLowerCase() : input.token,
        );
        // The account may have no device left: the notifier reads the database next time.
        if (removed) await owners.removed([caller.accountId]);
        return { removed };
      },
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
    route({
      method: 'get',
      path: '/api/push/settings',
      auth: 'account',
      tag: 'push',
      summary: 'Notification settings of this account',
      description:
        '`mentions_break_dnd`: whether a mention notifies the devices in a conversation set do-not-disturb; the server default until the account chooses.',
      from: 'none',
      reply: s.settings.reply,
      errors: [ErrorCode.AccountNotFound],
      handle: async ({ caller }) => {
        const stored = await devices.settingsOf(caller.accountId);
        if (!stored) throw new AppError(ErrorCode.AccountNotFound);
        return { mentions_break_dnd: stored.mentionsBreakDnd ?? deps.mentionsBreakDnd };
      },
    }),
    route({
      method: 'put',
      path: '/api/push/settings',
      auth: 'account',
      tag: 'push',
      summary: 'Set the notification settings of this account',
      description:
        '`mentions_break_dnd` true: a mention notifies the devices even in a conversation set do-not-disturb; false: such conversations stay silent. Replies with the settings now in force.',
      from: 'body',
      input: s.updateSettings.body,
      reply: s.updateSettings.reply,
      errors: [ErrorCode.AccountNotFound],
      handle: async ({ input, caller }) => {
        const found = await devices.updateSettings(caller.accountId, {
          mentionsBreakDnd: input.mentions_break_dnd,
        });
        if (!found) throw new AppError(ErrorCode.AccountNotFound);
        return { mentions_break_dnd: input.mentions_break_dnd };
      },
    }),
  ];
}
