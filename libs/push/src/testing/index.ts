export { startFakeFcm, type FakeFcm, type FcmReceived } from './fake-fcm';
export { startFakeApns, type FakeApns, type ApnsReceived } from './fake-apns';
export {
  startFakeWebPush,
  decryptAes128gcm,
  type FakeWebPush,
  type TestSubscription,
  type WebPushReceived,
} from './fake-web-push';
export { checkJwt, type CheckedJwt } from './jwt-check';
