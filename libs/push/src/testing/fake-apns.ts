import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkJwt } from './jwt-check';
import { readBody, waitForItem } from './read-body';

/** One notification APNs accepted. */
export interface ApnsReceived {
  token: string;
  headers: Record<string, string | undefined>;
  payload: { aps: { alert: { title: string; body: string } } } & Record<string, unknown>;
}

export interface FakeApns {
  /** `https://localhost:<port>`, HTTP/2 over TLS with a certificate made for this run. */
  url: string;
  /** That certificate (PEM), to trust as the CA. */
  ca: string;
  /** Signing key (PKCS#8 PEM), key id, team id and topic the fake expects. */
  key: string;
  keyId: string;
  teamId: string;
  topic: string;
  received: ApnsReceived[];
  /** Tokens answered `410 Unregistered`. */
  deadTokens: Set<string>;
  /** Tokens answered `400 BadDeviceToken`. */
  badTokens: Set<string>;
  waitFor(predicate: (m: ApnsReceived) => boolean, timeoutMs?: number): Promise<ApnsReceived>;
  close(): Promise<void>;
}

/** A self-signed certificate for `localhost`, made with the openssl command line. */
function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-apns-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A local HTTP/2 TLS server speaking the APNs provider API: `POST /3/device/<token>`,
 * checking the `authorization: bearer` ES256 JWT against the test key (`kid`, `iss`), and
 * the `apns-topic` and `apns-push-type` headers; answers 200 with an `apns-id`, or 410 / 400
 * for the tokens put in `deadTokens` / `badTokens`.
 */
export async function startFakeApns(): Promise<FakeApns> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tls = selfSignedCert();
  const fake: FakeApns = {
    url: '',
    ca: tls.cert,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyId: 'TESTKEY123',
    teamId: 'TEAM123456',
    topic: 'chat.test.app',
    received: [],
    deadTokens: new Set(),
    badTokens: new Set(),
    waitFor: (p, t = 10_000) => waitForItem(fake.received, p, t, 'fake APNs'),
    close: () =>
      new Promise((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createSecureServer({ key: tls.key, cert: tls.cert });
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    void (async () => {
      const body = (await readBody(stream)).toString('utf8');
      const answer = (status: number, reason?: string, extra: Record<string, string> = {}) => {
        stream.respond({
          ':status': status,
          ...extra,
          ...(reason ? { 'content-type': 'application/json' } : {}),
        });
        stream.end(reason ? JSON.stringify({ reason }) : undefined);
      };
      const m = /^\/3\/device\/([0-9a-zA-Z-]+)$/.exec(String(headers[':path']));
      if (headers[':method'] !== 'POST' || !m) return answer(404, 'BadPath');
      const auth = /^bearer (.+)$/.exec(String(headers.authorization ?? ''))?.[1];
      if (!auth) return answer(403, 'MissingProviderToken');
      const jwt = checkJwt(auth, publicKey);
      if (!jwt.valid || jwt.header.kid !== fake.keyId || jwt.claims.iss !== fake.teamId) {
        return answer(403, 'InvalidProviderToken');
      }
      if (headers['apns-topic'] !== fake.topic) return answer(400, 'BadTopic');
      if (headers['apns-push-type'] !== 'alert') return answer(400, 'InvalidPushType');
      const token = m[1];
      if (fake.deadTokens.has(token)) return answer(410, 'Unregistered');
      if (fake.badTokens.has(token)) return answer(400, 'BadDeviceToken');
      const flat: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(headers))
        flat[k] = v === undefined ? undefined : String(v);
      fake.received.push({
        token,
        headers: flat,
        payload: JSON.parse(body) as ApnsReceived['payload'],
      });
      answer(200, undefined, {
        'apns-id': `00000000-0000-0000-0000-${String(fake.received.length).padStart(12, '0')}`,
      });
    })().catch(() => {
      if (!stream.headersSent) stream.respond({ ':status': 500 });
      stream.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.url = `https://localhost:${(server.address() as AddressInfo).port}`;
  return fake;
}
