import { createHash, createHmac, randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createLogger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { OssStore, type OssStoreOptions } from './oss-store';
import { blobStoreContract } from './testing/blob-store.contract';

const log = createLogger({ name: 'oss-test', level: 'silent' });
const ACCESS_KEY_ID = 'test-access-key-id';
const ACCESS_KEY_SECRET = 'test-access-key-secret-0123456789';
const BUCKET = 'chat-test-bucket';

interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A stand-in for OSS on 127.0.0.1: records every request, keeps objects in memory by path,
 * serves them back on GET, and answers with a queued status when a test asks for one.
 * It does not check signatures; the tests recompute them from the recorded requests.
 */
async function startFakeOss() {
  const objects = new Map<string, { type: string; body: Buffer }>();
  const seen: SeenRequest[] = [];
  const failures: { status: number; code: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', path, headers: req.headers, body });
      const failure = failures.shift();
      if (failure) {
        res.writeHead(failure.status, { 'content-type': 'application/xml' });
        return void res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${failure.code}</Code><Message>test</Message><RequestId>r1</RequestId><HostId>h</HostId></Error>`,
        );
      }
      if (req.method === 'PUT') {
        objects.set(path, { type: String(req.headers['content-type']), body });
        res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        return void res.end();
      }
      if (req.method === 'DELETE') {
        objects.delete(path);
        res.writeHead(204);
        return void res.end();
      }
      const object = objects.get(path);
      if (req.method === 'GET' && object) {
        res.writeHead(200, { 'content-type': object.type, 'content-length': object.body.length });
        return void res.end(object.body);
      }
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<Error><Code>NoSuchKey</Code></Error>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    objects,
    seen,
    failNext: (status: number, code: string) => failures.push({ status, code }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type FakeOss = Awaited<ReturnType<typeof startFakeOss>>;

function storeOn(fake: FakeOss, extra: Partial<OssStoreOptions> = {}): OssStore {
  return new OssStore(
    {
      endpoint: fake.endpoint,
      accessKeyId: ACCESS_KEY_ID,
      accessKeySecret: ACCESS_KEY_SECRET,
      bucket: BUCKET,
      basePath: 'chat/',
      // Public reads go to the stand-in too, so the contract can fetch what was put.
      bucketUrl: fake.endpoint,
      timeoutMs: 5000,
      ...extra,
    },
    log,
  );
}

/**
 * The OSS V1 signature as Alibaba Cloud documents it:
 * base64(HMAC-SHA1(secret, VERB \n Content-MD5 \n Content-Type \n Date \n
 * CanonicalizedOSSHeaders + CanonicalizedResource)), where the OSS headers are the
 * `x-oss-*` ones, lower-cased, sorted, one `name:value\n` each, and the resource is
 * `/<bucket>/<object>`.
 */
function expectedAuthorization(r: SeenRequest, date: string, resource: string): string {
  const ossHeaders = Object.keys(r.headers)
    .filter((h) => h.startsWith('x-oss-'))
    .sort()
    .map((h) => `${h}:${String(r.headers[h]).trim()}\n`)
    .join('');
  const stringToSign =
    [r.method, r.headers['content-md5'] ?? '', r.headers['content-type'] ?? '', date].join('\n') +
    '\n' +
    ossHeaders +
    resource;
  const signature = createHmac('sha1', ACCESS_KEY_SECRET).update(stringToSign).digest('base64');
  return `OSS ${ACCESS_KEY_ID}:${signature}`;
}

/** The request time ali-oss signs: `x-oss-date` (it sends no `Date` header of its own). */
function signedDate(r: SeenRequest): string {
  return String(r.headers.date ?? r.headers['x-oss-date']);
}

blobStoreContract('OssStore against a local OSS stand-in', async () => {
  const fake = await startFakeOss();
  const store = storeOn(fake);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await fake.close();
    },
  };
});

describe('OssStore requests', () => {
  let fake: FakeOss;
  let store: OssStore;

  beforeEach(async () => {
    fake = await startFakeOss();
    store = storeOn(fake);
  });

  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  it('puts a buffer with its type, length, MD5 and a valid V1 signature under the base path', async () => {
    const body = randomBytes(1234);
    const stored = await store.put('avatars/a/1.png', body, {
      contentType: 'image/png',
      size: body.length,
    });
    expect(stored).toEqual({
      key: 'avatars/a/1.png',
      url: `${fake.endpoint}/chat/avatars/a/1.png`,
    });

    expect(fake.seen).toHaveLength(1);
    const [r] = fake.seen;
    expect(r.method).toBe('PUT');
    expect(r.path).toBe('/chat/avatars/a/1.png');
    // An IP endpoint keeps the bucket out of the path; ali-oss names it in the Host header.
    expect(r.headers.host).toBe(`${BUCKET}.oss-cn-hangzhou.aliyuncs.com`);
    expect(r.headers['content-type']).toBe('image/png');
    expect(r.headers['content-length']).toBe('1234');
    expect(r.headers['content-md5']).toBe(createHash('md5').update(body).digest('base64'));
    expect(r.body.equals(body)).toBe(true);

    // ali-oss sends no Date header: the time it signs travels in x-oss-date.
    expect(r.headers.date).toBeUndefined();
    const date = signedDate(r);
    expect(Number.isNaN(Date.parse(date))).toBe(false);
    // OSS refuses requests more than 15 minutes off its clock.
    expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(15 * 60_000);
    expect(r.headers.authorization).toMatch(new RegExp(`^OSS ${ACCESS_KEY_ID}:[A-Za-z0-9+/]+=*$`));
    expect(r.headers.authorization).toBe(
      expectedAuthorization(r, date, `/${BUCKET}/chat/avatars/a/1.png`),
    );
  });

  it('streams a body with its declared Content-Length instead of chunked encoding', async () => {
    const parts = [randomBytes(700), randomBytes(300)];
    await store.put('files/f.bin', Readable.from(parts), {
      contentType: 'application/octet-stream',
      size: 1000,
    });
    const [r] = fake.seen;
    expect(r.method).toBe('PUT');
    expect(r.headers['content-length']).toBe('1000');
    expect(r.headers['transfer-encoding']).toBeUndefined();
    expect(r.body.equals(Buffer.concat(parts))).toBe(true);
    expect(r.headers.authorization).toBe(
      expectedAuthorization(r, signedDate(r), `/${BUCKET}/chat/files/f.bin`),
    );
  });

  it('signs deletes of the prefixed object name', async () => {
    await store.delete('avatars/a/1.png');
    const [r] = fake.seen;
    expect(r.method).toBe('DELETE');
    expect(r.path).toBe('/chat/avatars/a/1.png');
    expect(r.headers.authorization).toBe(
      expectedAuthorization(r, signedDate(r), `/${BUCKET}/chat/avatars/a/1.png`),
    );
  });

  it('treats NoSuchKey on delete as already deleted', async () => {
    fake.failNext(404, 'NoSuchKey');
    await expect(store.delete('gone.png')).resolves.toBeUndefined();
  });

  it('wraps server errors as retryable and refusals as final, keeping the cause', async () => {
    fake.failNext(503, 'ServiceUnavailable');
    const unavailable = await store
      .put('x.png', randomBytes(4), { contentType: 'image/png', size: 4 })
      .catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(InfrastructureError);
    expect(unavailable).toMatchObject({ retryable: true });
    expect((unavailable as Error).cause).toMatchObject({ status: 503 });

    fake.failNext(403, 'AccessDenied');
    const denied = await store.delete('x.png').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(InfrastructureError);
    expect(denied).toMatchObject({ retryable: false });
    expect((denied as Error).message).toContain('AccessDenied');
  });

  it('reports an unreachable endpoint as retryable', async () => {
    const down = await startFakeOss();
    await down.close();
    const lost = storeOn(down);
    try {
      const err = await lost.delete('x.png').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InfrastructureError);
      expect(err).toMatchObject({ retryable: true });
    } finally {
      await lost.close();
    }
  });

  it('builds public urls from BucketUrl, or from the bucket and the endpoint host', () => {
    const withUrl = storeOn(fake, { bucketUrl: 'https://cdn.example.com/' });
    const bare = storeOn(fake, { endpoint: 'oss-cn-shanghai.aliyuncs.com', bucketUrl: undefined });
    expect(withUrl.urlOf('a/b.png')).toBe('https://cdn.example.com/chat/a/b.png');
    expect(bare.urlOf('a/b.png')).toBe(
      `https://${BUCKET}.oss-cn-shanghai.aliyuncs.com/chat/a/b.png`,
    );
    return Promise.all([withUrl.close(), bare.close()]);
  });
});
