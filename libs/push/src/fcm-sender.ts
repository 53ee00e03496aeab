import { createPrivateKey, type KeyObject } from 'node:crypto';
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

/** The fields of a Firebase service-account key file this adapter uses. */
export interface FcmServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  /** Google's OAuth2 token endpoint; the key file names it. */
  token_uri?: string;
}

export interface FcmSenderOptions {
  serviceAccount: FcmServiceAccount;
  /** Base URL of the FCM API (default `https://fcm.googleapis.com`). */
  endpoint?: string;
  /** Abandons a request after this long (default 10 s). */
  timeoutMs?: number;
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** An access token is renewed this long before Google says it expires. */
const RENEW_EARLY_MS = 5 * 60 * 1000;

interface FcmErrorBody {
  error?: { status?: string; message?: string; details?: { errorCode?: string }[] };
}

/**
 * Firebase Cloud Messaging, HTTP v1 API. The service account's key signs an RS256 JWT
 * assertion, traded at its `token_uri` for an OAuth2 access token (kept until shortly before
 * it expires); each notification is one `POST /v1/projects/{id}/messages:send`. FCM answers
 * `404 UNREGISTERED` for a token that is gone and `400 INVALID_ARGUMENT` naming the token for
 * one that never was valid: both make the device dead.
 */
export class FcmSender implements PushSender {
  readonly platforms: readonly PushPlatform[] = ['fcm'];
  private readonly key: KeyObject;
  private readonly endpoint: string;
  private readonly tokenUri: string;
  private readonly timeoutMs: number;
  private access?: { token: string; until: number };
  private pendingToken?: Promise<string>;
  private closed = false;

  constructor(
    private readonly opts: FcmSenderOptions,
    private readonly log: Logger,
  ) {
    this.key = createPrivateKey(opts.serviceAccount.private_key);
    this.endpoint = (opts.endpoint ?? 'https://fcm.googleapis.com').replace(/\/+$/, '');
    this.tokenUri = opts.serviceAccount.token_uri ?? DEFAULT_TOKEN_URI;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async send(device: PushDevice, n: PushNotification): Promise<PushOutcome> {
    if (this.closed) throw new InfrastructureError('fcm: closed', undefined, false);
    const token = await this.accessToken();
    const url = `${this.endpoint}/v1/projects/${encodeURIComponent(this.opts.serviceAccount.project_id)}/messages:send`;
    const message = {
      token: device.token,
      notification: { title: n.title, body: n.body },
      data: n.data,
      android: { collapse_key: n.collapseKey, notification: { tag: n.collapseKey } },
      apns: { headers: { 'apns-collapse-id': n.collapseKey } },
      webpush: { headers: { Topic: n.collapseKey } },
    };
    const res = await this.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message }),
    });
    const text = await res.text();
    if (res.ok) {
      const name = (JSON.parse(text) as { name?: string }).name;
      return { kind: 'sent', id: name };
    }
    let body: FcmErrorBody = {};
    try {
      body = JSON.parse(text) as FcmErrorBody;
    } catch {
      // Not JSON: judged by the status alone.
    }
    const status = body.error?.status;
    const codes = (body.error?.details ?? []).map((d) => d.errorCode);
    const why = `${res.status} ${status ?? ''} ${body.error?.message ?? ''}`.trim();
    if (res.status === 404 || codes.includes('UNREGISTERED')) return { kind: 'dead', reason: why };
    if (
      res.status === 400 &&
      (status === 'INVALID_ARGUMENT' || codes.includes('INVALID_ARGUMENT')) &&
      /token/i.test(body.error?.message ?? '')
    ) {
      return { kind: 'dead', reason: why };
    }
    if (res.status === 401) this.access = undefined; // renewed on the retry
    const retryable = res.status === 401 || res.status === 429 || res.status >= 500;
    throw new InfrastructureError(`fcm: send refused: ${why}`, undefined, retryable);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private accessToken(): Promise<string> {
    if (this.access && Date.now() < this.access.until) return Promise.resolve(this.access.token);
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  private async fetchToken(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const assertion = signJwt(
      { alg: 'RS256' },
      {
        iss: this.opts.serviceAccount.client_email,
        scope: SCOPE,
        aud: this.tokenUri,
        iat: now,
        exp: now + 3600,
      },
      this.key,
    );
    const res = await this.request(this.tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion,
      }).toString(),
    });
    const text = await res.text();
    if (!res.ok) {
      // A refused key stays refused; a server error may pass.
      throw new InfrastructureError(
        `fcm: access token refused: ${res.status} ${text.slice(0, 200)}`,
        undefined,
        res.status === 429 || res.status >= 500,
      );
    }
    const body = JSON.parse(text) as { access_token: string; expires_in?: number };
    const lifeMs = (body.expires_in ?? 3600) * 1000;
    this.access = { token: body.access_token, until: Date.now() + lifeMs - RENEW_EARLY_MS };
    this.log.debug({ port: 'push', adapter: 'fcm', lifeMs }, 'fcm access token renewed');
    return body.access_token;
  }

  private async request(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new InfrastructureError(`fcm: ${new URL(url).host} unreachable`, err);
    }
  }
}
