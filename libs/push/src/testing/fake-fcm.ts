import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { type FcmServiceAccount } from '../fcm-sender';
import { checkJwt } from './jwt-check';
import { readBody, waitForItem } from './read-body';

/** One message FCM accepted. */
export interface FcmReceived {
  token: string;
  /** The `message` object as posted (notification, data, android, apns, webpush). */
  message: Record<string, unknown> & { token: string; data?: Record<string, string> };
}

export interface FakeFcm {
  /** Base URL to configure as the FCM endpoint (`http://127.0.0.1:<port>`). */
  url: string;
  /** A service account whose key the fake trusts and whose `token_uri` is the fake's. */
  serviceAccount: FcmServiceAccount;
  received: FcmReceived[];
  /** Access tokens handed out. */
  tokensIssued: number;
  /** Tokens answered `404 UNREGISTERED`. */
  deadTokens: Set<string>;
  /** Tokens answered `400 INVALID_ARGUMENT` naming the registration token. */
  invalidTokens: Set<string>;
  /** The next `count` sends are answered 503. */
  failNext(count: number): void;
  waitFor(predicate: (m: FcmReceived) => boolean, timeoutMs?: number): Promise<FcmReceived>;
  close(): Promise<void>;
}

const PROJECT = 'chat-test';

/**
 * A local HTTP/1.1 server speaking FCM's HTTP v1 API: the OAuth2 token endpoint (checks the
 * JWT-bearer assertion is RS256-signed by the test service account's key, for the messaging
 * scope and this audience) and `POST /v1/projects/chat-test/messages:send` (checks the bearer
 * token it issued).
 */
export async function startFakeFcm(): Promise<FakeFcm> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const issued = new Set<string>();
  let failing = 0;
  const fake: FakeFcm = {
    url: '',
    serviceAccount: {
      project_id: PROJECT,
      client_email: 'push@chat-test.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    },
    received: [],
    tokensIssued: 0,
    deadTokens: new Set(),
    invalidTokens: new Set(),
    failNext(count) {
      failing = count;
    },
    waitFor: (p, t = 10_000) => waitForItem(fake.received, p, t, 'fake FCM'),
    close: () => new Promise((r) => server.close(() => r())),
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      const body = (await readBody(req)).toString('utf8');
      if (req.method === 'POST' && req.url === '/token') {
        const form = new URLSearchParams(body);
        const jwt = checkJwt(form.get('assertion') ?? '', publicKey);
        const c = jwt.claims;
        const now = Date.now() / 1000;
        if (
          form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' ||
          !jwt.valid ||
          c.iss !== fake.serviceAccount.client_email ||
          c.aud !== fake.serviceAccount.token_uri ||
          c.scope !== 'https://www.googleapis.com/auth/firebase.messaging' ||
          typeof c.exp !== 'number' ||
          c.exp < now
        ) {
          return json(res, 400, { error: 'invalid_grant' });
        }
        const token = randomBytes(16).toString('hex');
        issued.add(token);
        fake.tokensIssued++;
        return json(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
      }
      if (req.method === 'POST' && req.url === `/v1/projects/${PROJECT}/messages:send`) {
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!bearer || !issued.has(bearer)) {
          return json(res, 401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
        }
        if (failing > 0) {
          failing--;
          return json(res, 503, { error: { code: 503, status: 'UNAVAILABLE' } });
        }
        const { message } = JSON.parse(body) as { message: FcmReceived['message'] };
        if (fake.deadTokens.has(message.token)) {
          return json(res, 404, {
            error: {
              code: 404,
              status: 'NOT_FOUND',
              message: 'Requested entity was not found.',
              details: [{ errorCode: 'UNREGISTERED' }],
            },
          });
        }
        if (fake.invalidTokens.has(message.token)) {
          return json(res, 400, {
            error: {
              code: 400,
              status: 'INVALID_ARGUMENT',
              message: 'The registration token is not a valid FCM registration token',
              details: [{ errorCode: 'INVALID_ARGUMENT' }],
            },
          });
        }
        fake.received.push({ token: message.token, message });
        return json(res, 200, { name: `projects/${PROJECT}/messages/${fake.received.length}` });
      }
      json(res, 404, { error: { code: 404, status: 'NOT_FOUND', message: 'no such route' } });
    })().catch(() => json(res, 500, {}));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.serviceAccount.token_uri = `${fake.url}/token`;
  return fake;
}
