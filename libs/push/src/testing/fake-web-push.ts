import { createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { checkJwt, p256PublicKey } from './jwt-check';
import { readBody, waitForItem } from './read-body';

/** A browser's subscription, as `PushManager.subscribe` returns it (keys base64url). */
export interface TestSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** One push the endpoint accepted, decrypted. */
export interface WebPushReceived {
  /** The subscription id (last path segment of the endpoint). */
  id: string;
  headers: http.IncomingHttpHeaders;
  /** The plaintext, parsed as JSON. */
  payload: { title: string; body: string; tag: string; data: Record<string, string> };
}

export interface FakeWebPush {
  url: string;
  /** The VAPID key pair the application server must use (base64url). */
  vapid: { publicKey: string; privateKey: string; subject: string };
  /** A new subscription at this endpoint, with a fresh key pair and auth secret. */
  subscribe(): TestSubscription;
  received: WebPushReceived[];
  /** Subscription ids answered `410 Gone`. */
  goneIds: Set<string>;
  waitFor(predicate: (m: WebPushReceived) => boolean, timeoutMs?: number): Promise<WebPushReceived>;
  close(): Promise<void>;
}

/**
 * Decrypts an `aes128gcm` body (RFC 8188) sent to a Web Push subscription (RFC 8291), written
 * from the RFCs with node:crypto alone: header salt ‖ rs ‖ idlen ‖ keyid (the sender's
 * public key), keys derived by HKDF from the ECDH secret and the auth secret, one record.
 */
export function decryptAes128gcm(
  body: Buffer,
  ua: { privateKey: Buffer; publicKey: Buffer; auth: Buffer },
): Buffer {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(ua.privateKey);
  const secret = ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.publicKey, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, ua.auth, keyInfo, 32));
  const cek = Buffer.from(
    hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16),
  );
  const nonce = Buffer.from(
    hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12),
  );
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([
    decipher.update(record.subarray(0, record.length - 16)),
    decipher.final(),
  ]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('aes128gcm: no last-record delimiter');
  return padded.subarray(0, end);
}

/**
 * A local HTTP server playing a browser vendor's push service: `POST /push/<id>` checks the
 * `Authorization: vapid t=<JWT>, k=<public key>` header (the key is the configured VAPID key,
 * the JWT verifies with it, its `aud` is this origin and it has not expired), requires
 * `Content-Encoding: aes128gcm` and a `TTL`, and decrypts the body with the subscription's keys.
 */
export async function startFakeWebPush(): Promise<FakeWebPush> {
  const vapidKeys = createECDH('prime256v1');
  vapidKeys.generateKeys();
  const subs = new Map<string, { privateKey: Buffer; publicKey: Buffer; auth: Buffer }>();
  const fake: FakeWebPush = {
    url: '',
    vapid: {
      publicKey: vapidKeys.getPublicKey().toString('base64url'),
      privateKey: vapidKeys.getPrivateKey().toString('base64url'),
      subject: 'mailto:ops@chat.test',
    },
    subscribe() {
      const ua = createECDH('prime256v1');
      ua.generateKeys();
      const id = randomBytes(8).toString('hex');
      const auth = randomBytes(16);
      subs.set(id, { privateKey: ua.getPrivateKey(), publicKey: ua.getPublicKey(), auth });
      return {
        endpoint: `${fake.url}/push/${id}`,
        keys: { p256dh: ua.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
      };
    },
    received: [],
    goneIds: new Set(),
    waitFor: (p, t = 10_000) => waitForItem(fake.received, p, t, 'fake Web Push'),
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const id = /^\/push\/([0-9a-f]+)$/.exec(req.url ?? '')?.[1];
      const sub = id === undefined ? undefined : subs.get(id);
      if (req.method !== 'POST' || !id || !sub) return void res.writeHead(404).end();
      if (fake.goneIds.has(id)) return void res.writeHead(410).end('subscription gone');
      const auth = /^vapid t=([^,\s]+),\s*k=(\S+)$/.exec(req.headers.authorization ?? '');
      if (!auth || auth[2] !== fake.vapid.publicKey) return void res.writeHead(401).end('vapid');
      const jwt = checkJwt(auth[1], p256PublicKey(Buffer.from(auth[2], 'base64url')));
      if (
        !jwt.valid ||
        jwt.claims.aud !== fake.url ||
        jwt.claims.sub !== fake.vapid.subject ||
        typeof jwt.claims.exp !== 'number' ||
        jwt.claims.exp < Date.now() / 1000
      ) {
        return void res.writeHead(403).end('vapid jwt');
      }
      if (req.headers['content-encoding'] !== 'aes128gcm' || req.headers.ttl === undefined) {
        return void res.writeHead(400).end('encoding');
      }
      const plain = decryptAes128gcm(body, sub);
      fake.received.push({
        id,
        headers: req.headers,
        payload: JSON.parse(plain.toString('utf8')) as WebPushReceived['payload'],
      });
      res.writeHead(201, { location: `${fake.url}/message/${fake.received.length}` }).end();
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
