/** Devices registered for push notifications (docs/push-notifications.md). */

export type PushDevicePlatform = 'fcm' | 'apns' | 'webpush';

export interface PushDeviceRecord {
  id: number;
  accountId: number;
  platform: PushDevicePlatform;
  /** FCM / APNs token, or the Web Push endpoint URL. */
  token: string;
  /** Web Push only. */
  keys: { p256dh: string; auth: string } | null;
  createAt: Date;
}

export interface NewPushDevice {
  platform: PushDevicePlatform;
  token: string;
  keys?: { p256dh: string; auth: string };
}

/** An account's push settings (`account.push_*`). */
export interface PushSettings {
  /** Mentions notify despite do-not-disturb; null = `Push.MentionsBreakDoNotDisturb`. */
  mentionsBreakDnd: boolean | null;
}

export interface PushDeviceRepository {
  /**
   * Registers the device for the account, or refreshes it (keys, time) when the same
   * platform and token are registered already, moving it from another account if need be.
   */
  register(accountId: number, device: NewPushDevice): Promise<PushDeviceRecord>;
  /** False when the account has no such device. */
  unregister(accountId: number, platform: PushDevicePlatform, token: string): Promise<boolean>;
  /** The account's devices, oldest first. */
  listOf(accountId: number): Promise<PushDeviceRecord[]>;
  /**
   * The devices to notify of a message in `relationId`: those of `accountIds` that are
   * still members of the relation and have not set it do-not-disturb, or have but are
   * `mentioned` and allow mentions through (`account.push_mentions_break_dnd`, or
   * `mentionsBreakDnd`, the server's default, when the account never chose).
   */
  targetsFor(
    relationId: number,
    accountIds: readonly number[],
    dnd?: { mentioned: readonly number[]; mentionsBreakDnd: boolean },
  ): Promise<PushDeviceRecord[]>;
  /**
   * What a notification names: the group's name (null for a friend chat or a relation
   * that is gone) and the sender's account name (null for none or a deleted account).
   */
  namesFor(
    relationId: number,
    senderId: number | null,
  ): Promise<{ groupName: string | null; senderName: string | null }>;
  /**
   * Removes a device its provider called gone: the account it belonged to, or null when it
   * was removed already (or its token registered again meanwhile).
   */
  removeDead(id: number, token: string): Promise<number | null>;
  /** Those of `accountIds` with at least one registered device (one query). */
  accountsWithDevices(accountIds: readonly number[]): Promise<Set<number>>;
  /**
   * The account's push settings as stored; `mentionsBreakDnd` null = the server's default.
   * Null when there is no such account.
   */
  settingsOf(accountId: number): Promise<PushSettings | null>;
  /** Stores the account's choice; false when there is no such account. */
  updateSettings(accountId: number, settings: { mentionsBreakDnd: boolean }): Promise<boolean>;
}
