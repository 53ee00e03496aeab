import { type Logger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { ApnsSender, type ApnsSenderOptions } from './apns-sender';
import { DevPushSink } from './dev-push-sink';
import { FcmSender, type FcmSenderOptions } from './fcm-sender';
import {
  type PushDevice,
  type PushNotification,
  type PushOutcome,
  type PushPlatform,
  type PushSender,
} from './push-sender';
import { WebPushSender, type WebPushSenderOptions } from './web-push-sender';

/**
 * Which adapters back the push port: each provider whose keys are configured (`Push.*`),
 * or, when none is and the dev sink is allowed, the dev sink under `App.DataDir/push`
 * for every platform; `none` turns notifications off (docs/push-notifications.md).
 */
export type PushConfig =
  | {
      kind: 'providers';
      fcm?: FcmSenderOptions;
      apns?: ApnsSenderOptions;
      webpush?: WebPushSenderOptions;
    }
  | { kind: 'dev'; dir: string }
  | { kind: 'none' };

/** Hands each device to the sender of its platform. */
export class PushRouter implements PushSender {
  readonly platforms: readonly PushPlatform[];

  constructor(private readonly senders: PushSender[]) {
    this.platforms = senders.flatMap((s) => s.platforms);
  }

  send(device: PushDevice, n: PushNotification): Promise<PushOutcome> {
    const sender = this.senders.find((s) => s.platforms.includes(device.platform));
    if (!sender) {
      return Promise.reject(
        new InfrastructureError(`push: no ${device.platform} sender configured`, undefined, false),
      );
    }
    return sender.send(device, n);
  }

  async close(): Promise<void> {
    await Promise.all(this.senders.map((s) => s.close()));
  }
}

/** The one place that picks the push adapters (docs/development.md §2); undefined for `none`. */
export function createPushSender(cfg: PushConfig, log: Logger): PushSender | undefined {
  switch (cfg.kind) {
    case 'providers': {
      const senders: PushSender[] = [];
      if (cfg.fcm) {
        log.info(
          { port: 'push', adapter: 'fcm', project: cfg.fcm.serviceAccount.project_id },
          'push adapter',
        );
        senders.push(new FcmSender(cfg.fcm, log));
      }
      if (cfg.apns) {
        log.info({ port: 'push', adapter: 'apns', topic: cfg.apns.topic }, 'push adapter');
        senders.push(new ApnsSender(cfg.apns, log));
      }
      if (cfg.webpush) {
        log.info({ port: 'push', adapter: 'webpush' }, 'push adapter');
        senders.push(new WebPushSender(cfg.webpush, log));
      }
      return new PushRouter(senders);
    }
    case 'dev': {
      log.info({ port: 'push', adapter: 'dev-sink', dir: cfg.dir }, 'push adapter');
      return new DevPushSink({ dir: cfg.dir }, log);
    }
    case 'none': {
      log.info({ port: 'push', adapter: 'none' }, 'push adapter');
      return undefined;
    }
    default: {
      const unknownKind: never = cfg;
      throw new Error(`unknown push kind ${JSON.stringify(unknownKind)}`);
    }
  }
}
