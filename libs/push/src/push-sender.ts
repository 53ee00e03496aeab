/** The push providers a device can register with (docs/push-notifications.md). */
export const PUSH_PLATFORMS = ['fcm', 'apns', 'webpush'] as const;
export type PushPlatform = (typeof PUSH_PLATFORMS)[number];

/** Where one notification goes: one registered device. */
export interface PushDevice {
  platform: PushPlatform;
  /**
   * FCM registration token, APNs device token (hex), or, for Web Push, the subscription's
   * endpoint URL.
   */
  token: string;
  /** Web Push only: the subscription's keys (base64url), for the aes128gcm encryption. */
  keys?: { p256dh: string; auth: string };
}

/** What a device is told: the same for every provider, mapped by each adapter. */
export interface PushNotification {
  /** Shown as the title (the conversation's or sender's name). */
  title: string;
  /** Shown as the text (a preview of the message). */
  body: string;
  /**
   * Notifications with the same key replace each other on the device: one per
   * conversation (`r<relation id>`). URL-safe characters, at most 32 (Web Push's `Topic`).
   */
  collapseKey: string;
  /** Extra string fields handed to the app (relation id, message id, seq). */
  data: Record<string, string>;
}

/**
 * The provider's answer: taken (`sent`, with the provider's id when it gives one), or the
 * device token no longer exists (`dead`: the caller removes the registration). Any other
 * failure rejects with an `InfrastructureError` whose `retryable` says whether sending the
 * same notification again may succeed (a timeout, 429 or 5xx may; a refused payload will not).
 */
export type PushOutcome = { kind: 'sent'; id?: string } | { kind: 'dead'; reason: string };

/** Sends notifications to devices of one or more platforms. */
export interface PushSender {
  /** The platforms this sender can reach; registrations of the others are refused. */
  readonly platforms: readonly PushPlatform[];
  send(device: PushDevice, notification: PushNotification): Promise<PushOutcome>;
  /** Releases connections; safe to call twice. Sends after close reject. */
  close(): Promise<void>;
}
