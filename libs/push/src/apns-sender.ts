import { createPrivateKey, type KeyObject } from 'node:crypto';
import http2 from 'node:http2';
import { type Logger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { signJwt } from './jwt';
import {
  type PushDevice,
  type PushNotification,
  type PushOutcome,
  type PushPlatform,
  type PushSender,
} from './push-sender';

export interface ApnsSenderOptions {
  /** The `.p8` signing key (PEM, PKCS#8, P-256) from the Apple developer account. */
  key: string;
  /** Its 10-character key id. */
  keyId: string;
  /** The developer team id. */
  teamId: string;
  /** The app's bundle id: every notification's `apns-topic`. */
  topic: string;
  /**
   * `https://api.push.apple.com` (default) or `https://api.sandbox.push.apple.com` for
   * development builds.
   */
  endpoint?: string;
  /** Extra trusted CA certificates (PEM), for a gateway with a private certificate. */
  ca?: string;
  /** Abandons a request after this long (default 10 s). */
  timeoutMs?: number;
}

/** Apple accepts a provider token for an hour and refuses one renewed more than every 20 min. */
const TOKEN_LIFE_MS = 40 * 60 * 1000;

/**
 * Apple Push Notification service over HTTP/2 with token authentication: an ES256 JWT
 * (`kid` = key id, `iss` = team id) renewed every 40 minutes, one long-lived connection
 * reopened when it closes. Each notification is `POST /3/device/<token>` with `apns-topic`,
 * `apns-push-type: alert` and `apns-collapse-id`. A `410` or `400 BadDeviceToken` /
 * `DeviceTokenNotForTopic` answer makes the device dead.
 */
export class ApnsSender implements PushSender {
  readonly platforms: readonly PushPlatform[] = ['apns'];
  private readonly key: KeyObject;
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private session?: http2.ClientHttp2Session;
  private jwt?: { token: string; until: number };
  private closed = false;

  constructor(
    private readonly opts: ApnsSenderOptions,
    private readonly log: Logger,
  ) {
    this.key = createPrivateKey(opts.key);
    this.endpoint = (opts.endpoint ?? 'https://api.push.apple.com').replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async send(device: PushDevice, n: PushNotification): Promise<PushOutcome> {
    if (this.closed) throw new InfrastructureError('apns: closed', undefined, false);
    const payload = JSON.stringify({
      aps: {
        alert: { title: n.title, body: n.body },
        sound: 'default',
        'thread-id': n.collapseKey,
      },
      ...n.data,
    });
    const { status, headers, body } = await this.post(
      `/3/device/${encodeURIComponent(device.token)}`,
      {
        authorization: `bearer ${this.providerToken()}`,
        'apns-topic': this.opts.topic,
        'apns-push-type': 'alert',
        'apns-priority': '10',
        'apns-collapse-id': n.collapseKey,
        'content-type': 'application/json',
      },
      payload,
    );
    if (status === 200) return { kind: 'sent', id: headers['apns-id'] as string | undefined };
    let reason = '';
    try {
      reason = (JSON.parse(body) as { reason?: string }).reason ?? '';
    } catch {
      // Not JSON: judged by the status alone.
    }
    const why = `${status} ${reason}`.trim();
    if (status === 410) return { kind: 'dead', reason: why };
    if (status === 400 && (reason === 'BadDeviceToken' || reason === 'DeviceTokenNotForTopic')) {
      return { kind: 'dead', reason: why };
    }
    if (status === 403 && reason === 'ExpiredProviderToken') this.jwt = undefined;
    const retryable =
      status === 429 || status >= 500 || (status === 403 && reason === 'ExpiredProviderToken');
    throw new InfrastructureError(`apns: send refused: ${why}`, undefined, retryable);
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    if (s && !s.closed) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private providerToken(): string {
    if (this.jwt && Date.now() < this.jwt.until) return this.jwt.token;
    const token = signJwt(
      { alg: 'ES256', kid: this.opts.keyId },
      { iss: this.opts.teamId, iat: Math.floor(Date.now() / 1000) },
      this.key,
    );
    this.jwt = { token, until: Date.now() + TOKEN_LIFE_MS };
    return token;
  }

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2.connect(this.endpoint, this.opts.ca ? { ca: this.opts.ca } : {});
    session.on('error', (err) => {
      this.log.warn({ port: 'push', adapter: 'apns', err }, 'apns connection failed');
    });
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    // An idle connection must not keep the process alive.
    session.unref();
    this.session = session;
    return session;
  }

  private post(
    path: string,
    headers: Record<string, string>,
    payload: string,
  ): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = this.connect().request({ ':method': 'POST', ':path': path, ...headers });
      } catch (err) {
        reject(new InfrastructureError('apns: cannot open a stream', err));
        return;
      }
      req.setTimeout(this.timeoutMs, () => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        reject(new InfrastructureError('apns: no answer in time'));
      });
      let status = 0;
      let resHeaders: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      req.on('response', (h) => {
        status = Number(h[':status']);
        resHeaders = h;
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        resolve({ status, headers: resHeaders, body: Buffer.concat(chunks).toString('utf8') }),
      );
      req.on('error', (err) => reject(new InfrastructureError('apns: request failed', err)));
      req.end(payload);
    });
  }
}
