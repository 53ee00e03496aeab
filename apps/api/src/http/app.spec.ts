import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { createLogger } from '@chat/logger';
import { AppError, ErrorCode, InfrastructureError } from '@chat/protocol';
import { listenTestApp } from './listen-test-app';
import { route } from './route';

const SECRET_DETAIL = 'relation "message" violates check constraint at 10.0.0.7:5432';

/** An app whose routes fail in each way an answer can, with its log lines captured. */
async function serve() {
  const out = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  out.on('data', (d: Buffer) => {
    for (const l of d.toString().trim().split('\n')) lines.push(JSON.parse(l));
  });
  const log = createLogger({ name: 'app-test', destination: out });
  const failing = (path: string, fail: () => Promise<never>) =>
    route({
      method: 'get',
      path,
      auth: 'none',
      tag: 'test',
      summary: path,
      from: 'query',
      input: z.object({}),
      handle: fail,
    });
  let finished = 0;
  const routes = [
    failing('/api/infra', async () => {
      throw new InfrastructureError(SECRET_DETAIL);
    }),
    failing('/api/server', async () => {
      throw new AppError(ErrorCode.ServerError, SECRET_DETAIL);
    }),
    failing('/api/bug', async () => {
      throw new TypeError(SECRET_DETAIL);
    }),
    route({
      method: 'post',
      path: '/api/echo',
      auth: 'none',
      tag: 'test',
      summary: 'echo',
      from: 'body',
      input: z.object({ a: z.number() }),
      handle: async ({ input }) => input,
    }),
    failing('/api/slow', async () => {
      await new Promise((r) => setTimeout(r, 300));
      finished += 1;
      throw new AppError(ErrorCode.InvalidParams, 'finished late');
    }),
  ];
  const { base, close } = await listenTestApp(routes, { log, requestTimeoutMs: 100 });
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers });
    const text = await res.text();
    return { id: res.headers.get('x-request-id'), text, body: JSON.parse(text || '{}') };
  };
  const post = async (path: string, body: string | Buffer, headers: Record<string, string>) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers, body });
    return { http: res.status, body: JSON.parse(await res.text()) };
  };
  return { get, post, lines, close, finished: () => finished };
}

describe('http app: errors and request ids', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.close());

  it.each(['/api/infra', '/api/server', '/api/bug'])(
    '%s answers 1003 with the request id only; the detail is in the log line of that id',
    async (path) => {
      const { id, text, body } = await s.get(path);
      expect(body.status_code).toBe(ErrorCode.ServerError);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.status_msg).toBe(`server error (request ${id})`);
      expect(text).not.toContain('violates');
      const logged = s.lines.find((l) => l.requestId === id);
      expect(logged).toMatchObject({ level: 50, path });
      expect((logged?.err as { message?: string }).message).toBe(SECRET_DETAIL);
    },
  );

  it('answers X-Request-Id on every response, keeping a plain id the caller sent', async () => {
    expect((await s.get('/api/none')).id).toMatch(/^[0-9a-f-]{36}$/); // 404 → 1002
    expect((await s.get('/api/none', { 'X-Request-Id': 'lb-7f3a.42' })).id).toBe('lb-7f3a.42');
    // Anything that is not a plain token (spaces, quotes, newlines, 200 characters) is replaced.
    for (const bad of ['a b', '"x"', 'x'.repeat(200)]) {
      const { id } = await s.get('/api/none', { 'X-Request-Id': bad });
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('a request past its deadline answers 1005 saying it may still complete', async () => {
    const { id, body } = await s.get('/api/slow');
    expect(body.status_code).toBe(ErrorCode.Timeout);
    expect(body.status_msg).toContain('may still complete');
    expect(body.status_msg).toContain(id);
    // And indeed it does: the handler ran on after the answer.
    await new Promise((r) => setTimeout(r, 400));
    expect(s.finished()).toBe(1);
  });
});

describe('http app: bodies it cannot read', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.close());
  const json = { 'content-type': 'application/json' };

  it('reads a JSON body, plain or gzip-compressed', async () => {
    expect((await s.post('/api/echo', '{"a":1}', json)).body).toMatchObject({ data: { a: 1 } });
    const zipped = gzipSync('{"a":2}');
    const reply = await s.post('/api/echo', zipped, { ...json, 'content-encoding': 'gzip' });
    expect(reply.body).toMatchObject({ status_code: 0, data: { a: 2 } });
  });

  it('answers 1001, not a server error, for a body that does not inflate, and logs no error', async () => {
    const before = s.lines.length;
    const corrupt = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0]), Buffer.from('{"a":1}')]);
    for (const encoding of ['gzip', 'deflate']) {
      const reply = await s.post('/api/echo', corrupt, { ...json, 'content-encoding': encoding });
      expect(reply.http).toBe(200);
      expect(reply.body).toEqual({
        status_code: ErrorCode.InvalidParams,
        status_msg: expect.stringContaining('request not readable'),
      });
    }
    expect(s.lines.slice(before).filter((l) => (l.level as number) >= 50)).toEqual([]);
  });

  it('answers 1001 for malformed JSON, an unknown encoding or charset, at a route', async () => {
    const cases: [string, Record<string, string>][] = [
      ['{"a":', json],
      ['{"a":1}', { ...json, 'content-encoding': 'x-zz' }],
      ['{"a":1}', { 'content-type': 'application/json; charset=latin1' }],
    ];
    for (const [body, headers] of cases) {
      const reply = await s.post('/api/echo', body, headers);
      expect(reply.body.status_code).toBe(ErrorCode.InvalidParams);
    }
  });

  it('answers 404 and 1002 for a body sent to no route, whatever the body', async () => {
    for (const body of ['{"a":', '{"a":1}', 'x'.repeat(300 * 1024)]) {
      const reply = await s.post('/api/none', body, json);
      expect(reply.http).toBe(404);
      expect(reply.body.status_code).toBe(ErrorCode.NotFound);
    }
  });
});
