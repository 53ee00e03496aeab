import webpush from 'web-push';
import { type Logger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import {
  type PushDevice,
  type PushNotification,
  type PushOutcome,
  type PushPlatform,
  type PushSender,
} from './push-sender';

export interface WebPushSenderOptions {
  /** VAPID `sub`: a `mailto:` or `https:` URL where the push service can reach the operator. */
  subject: string;
  /** VAPID key pair (base64url, uncompressed P-256 public key / 32-byte private key). */
  publicKey: string;
  privateKey: string;
  /** Seconds the push service keeps a notification for an offline browser (default 1 day). */
  ttlSeconds?: number;
  /** Abandons a request after this long (default 10 s). */
  timeoutMs?: number;
}

/**
 * Web Push (RFC 8030) to a browser's subscription endpoint. The `web-push` package builds
 * the request: the VAPID `Authorization: vapid t=…, k=…` header (RFC 8292) and the payload
 * encrypted as `aes128gcm` for the subscription's keys (RFC 8291/8188). It is sent here with
 * `fetch`, so the answer is judged the same way as the other providers': `404`/`410` mean
 * the subscription is gone. The conversation's collapse key is the `Topic` header.
 */
export class WebPushSender implements PushSender {
  readonly platforms: readonly PushPlatform[] = ['webpush'];
  private readonly timeoutMs: number;
  private closed = false;

  constructor(
    private readonly opts: WebPushSenderOptions,
    private readonly log: Logger,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    // Checks the keys now, so a bad configuration fails the start, not the first send.
    webpush.getVapidHeaders(
      'https://push.example',
      opts.subject,
      opts.publicKey,
      opts.privateKey,
      'aes128gcm',
    );
  }

  async send(device: PushDevice, n: PushNotification): Promise<PushOutcome> {
    if (this.closed) throw new InfrastructureError('web push: closed', undefined, false);
    if (!device.keys) {
      throw new InfrastructureError('web push: subscription has no keys', undefined, false);
    }
    const payload = JSON.stringify({
      title: n.title,
      body: n.body,
      tag: n.collapseKey,
      data: n.data,
    });
    const details = webpush.generateRequestDetails(
      { endpoint: device.token, keys: device.keys },
      payload,
      {
        vapidDetails: {
          subject: this.opts.subject,
          publicKey: this.opts.publicKey,
          privateKey: this.opts.privateKey,
        },
        TTL: this.opts.ttlSeconds ?? 86_400,
        topic: n.collapseKey,
        urgency: 'high',
        contentEncoding: 'aes128gcm',
      },
    );
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(details.headers)) headers[k] = String(v);
    // fetch sets the length from the body itself.
    delete headers['Content-Length'];
    let res: Response;
    try {
      res = await fetch(details.endpoint, {
        method: details.method,
        headers,
        body: details.body ? new Uint8Array(details.body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new InfrastructureError(`web push: ${new URL(device.token).host} unreachable`, err);
    }
    const text = await res.text();
    if (res.ok) return { kind: 'sent', id: res.headers.get('location') ?? undefined };
    const why = `${res.status} ${text.slice(0, 200)}`.trim();
    if (res.status === 404 || res.status === 410) return { kind: 'dead', reason: why };
    const retryable = res.status === 429 || res.status >= 500;
    this.log.debug({ port: 'push', adapter: 'webpush', status: res.status }, 'web push refused');
    throw new InfrastructureError(`web push: send refused: ${why}`, undefined, retryable);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
