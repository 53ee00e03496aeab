import { z } from 'zod';
import { storableString } from './fields';

const time = z.string().meta({ format: 'date-time', example: '2024-05-01T08:30:00.123Z' });
const outId = z.number().int().meta({ example: 42 });

/** The push providers a device registers with (docs/push-notifications.md). */
export const PUSH_PLATFORMS = ['fcm', 'apns', 'webpush'] as const;
export const pushPlatform = z.enum(PUSH_PLATFORMS);

const fcmToken = storableString()
  .trim()
  .min(1)
  .max(4096)
  .meta({ description: 'FCM registration token' });
const apnsToken = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{32,200}$/, { error: 'must be the device token in hex' })
  .transform((t) => t.toLowerCase())
  .meta({ description: 'APNs device token, hex' });
const b64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, { error: 'must be base64url' });

/** A browser's `PushSubscription` as `toJSON()` gives it. */
const subscription = z.object({
  endpoint: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(2048)
    .meta({ description: 'the push service URL of the subscription' }),
  keys: z.object({ p256dh: b64url(128), auth: b64url(64) }),
});

/** One registered device, as listed. For Web Push, `token` is the subscription's endpoint. */
export const PushDeviceOut = z
  .object({
    device_id: outId,
    platform: pushPlatform,
    token: z.string(),
    create_at: time,
  })
  .meta({ id: 'PushDevice' });

/** The account's notification settings (docs/push-notifications.md, Who is notified). */
export const PushSettingsOut = z
  .object({
    mentions_break_dnd: z.boolean().meta({
      description:
        'a mention notifies the devices in a conversation set do-not-disturb; the server default (Push.MentionsBreakDoNotDisturb) until the account chooses',
      example: true,
    }),
  })
  .meta({ id: 'PushSettings' });

/**
 * The push area (docs/api.md, push devices): register the caller's device for notifications
 * while it has no socket online, unregister it, list the account's devices, read and set
 * the account's notification settings.
 */
export function pushSchemas() {
  return {
    register: {
      body: z.discriminatedUnion('platform', [
        z.object({ platform: z.literal('fcm'), token: fcmToken }),
        z.object({ platform: z.literal('apns'), token: apnsToken }),
        z.object({ platform: z.literal('webpush'), subscription }),
      ]),
      reply: PushDeviceOut,
    },
    unregister: {
      query: z.object({
        platform: pushPlatform,
        token: storableString()
          .trim()
          .min(1)
          .max(4096)
          .meta({ description: 'the token registered; for webpush, the endpoint' }),
      }),
      reply: z.object({ removed: z.boolean() }),
    },
    list: {
      reply: z.object({ list: z.array(PushDeviceOut) }),
    },
    settings: {
      reply: PushSettingsOut,
    },
    updateSettings: {
      body: z.object({
        mentions_break_dnd: z.boolean({
          error: 'mentions_break_dnd is required (true or false)',
        }),
      }),
      reply: PushSettingsOut,
    },
  };
}

export type PushSchemas = ReturnType<typeof pushSchemas>;
export type PushRegisterBody = z.infer<PushSchemas['register']['body']>;
