import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Logger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import {
  PUSH_PLATFORMS,
  type PushDevice,
  type PushNotification,
  type PushOutcome,
  type PushSender,
} from './push-sender';

export interface DevPushSinkOptions {
  /** Folder the notifications are written to (created when missing), e.g. `<App.DataDir>/push`. */
  dir: string;
}

/**
 * The embedded push adapter (docs/architecture.md), like the dev mailbox: nothing leaves the
 * machine. Each notification is written as a JSON file (device, title, body, collapse key,
 * data) and logged, for every platform, so `npm start` shows what a phone would receive.
 * A token that starts with `dead-` is answered as gone, so removal can be tried by hand.
 */
export class DevPushSink implements PushSender {
  readonly platforms = PUSH_PLATFORMS;
  private closed = false;
  private written = 0;

  constructor(
    private readonly opts: DevPushSinkOptions,
    private readonly log: Logger,
  ) {}

  async send(device: PushDevice, n: PushNotification): Promise<PushOutcome> {
    if (this.closed) throw new InfrastructureError('dev push sink: closed', undefined, false);
    if (device.token.startsWith('dead-')) return { kind: 'dead', reason: 'dev sink: dead- token' };
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const seq = String(++this.written).padStart(6, '0');
    const id = `${stamp}-${seq}-${randomBytes(3).toString('hex')}`;
    const file = path.join(this.opts.dir, `${id}.json`);
    const record = {
      platform: device.platform,
      token: device.token,
      title: n.title,
      body: n.body,
      collapseKey: n.collapseKey,
      data: n.data,
    };
    try {
      await mkdir(this.opts.dir, { recursive: true });
      // Written aside, then renamed: whoever watches the folder never reads half a file.
      await writeFile(`${file}.part`, JSON.stringify(record, null, 2));
      await rename(`${file}.part`, file);
    } catch (err) {
      throw new InfrastructureError(`dev push sink: cannot write ${file}`, err);
    }
    this.log.info({ ...record, file }, 'push notification written to dev sink');
    return { kind: 'sent', id };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
