export {
  PUSH_PLATFORMS,
  type PushPlatform,
  type PushDevice,
  type PushNotification,
  type PushOutcome,
  type PushSender,
} from './push-sender';
export { createPushSender, PushRouter, type PushConfig } from './create-push-sender';
export { FcmSender, type FcmSenderOptions, type FcmServiceAccount } from './fcm-sender';
export { ApnsSender, type ApnsSenderOptions } from './apns-sender';
export { WebPushSender, type WebPushSenderOptions } from './web-push-sender';
export { DevPushSink, type DevPushSinkOptions } from './dev-push-sink';
export {
  DEVICE_OWNER_TTL_MS,
  DeviceOwners,
  type DeviceOwnerStore,
  type DeviceOwnersOptions,
} from './device-owners';
