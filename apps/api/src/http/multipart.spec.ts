import { z } from 'zod';
import { createLogger } from '@chat/logger';
import { ErrorCode } from '@chat/protocol';
import { listenTestApp } from './listen-test-app';
import { route, type UploadedFile, type UploadSpec } from './route';

const log = createLogger({ name: 'multipart-test', level: 'silent' });
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const png = (size: number) => Buffer.concat([PNG, Buffer.alloc(size - PNG.length, 7)]);
const text = (size: number) => Buffer.alloc(size, 'a');

/** An app with two upload routes (any file; images only) that echo what they received. */
async function serve() {
  const received: { input: unknown; file?: UploadedFile }[] = [];
  const limits = { maxImageBytes: 3000, maxFileBytes: 1000 };
  const uploadRoute = (path: string, upload: UploadSpec) =>
    route({
      method: 'post',
      path,
      auth: 'none',
      tag: 'test',
      summary: 'upload',
      from: 'multipart',
      input: z.object({ note: z.string().max(10).optional() }),
      upload,
      handle: async ({ input, file }) => {
        received.push({ input, file });
        return { size: file?.size, kind: file?.kind, name: file?.name };
      },
    });
  const routes = [
    uploadRoute('/api/any', { field: 'file', accept: 'any', ...limits }),
    uploadRoute('/api/image', { field: 'file', accept: 'image', ...limits }),
  ];
  const { base, close } = await listenTestApp(routes, { log, requestTimeoutMs: 5000 });
  const send = async (
    path: string,
    bytes: Buffer | null,
    fields: Record<string, string> = {},
    field = 'file',
  ) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    if (bytes) form.set(field, new Blob([bytes], { type: 'application/x-anything' }), '文件.bin');
    const res = await fetch(`${base}${path}`, { method: 'POST', body: form });
    return (await res.json()) as { status_code: number; data?: Record<string, unknown> };
  };
  return { base, send, received, close };
}

describe('multipart routes', () => {
  let s: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    s = await serve();
  });

  afterAll(async () => {
    await s.close();
  });

  it('hands the handler the file, judged by content, and the validated fields', async () => {
    const r = await s.send('/api/any', png(500), { note: 'hi' });
    expect(r).toMatchObject({ status_code: 0, data: { size: 500, kind: 'img', name: '文件.bin' } });
    const last = s.received.at(-1)!;
    expect(last.input).toEqual({ note: 'hi' });
    expect(last.file!.buffer.equals(png(500))).toBe(true);
    expect(last.file!.mimetype).toBe('application/x-anything');
    expect((await s.send('/api/any', text(10))).data).toMatchObject({ kind: 'file', size: 10 });
  });

  it('applies the image limit to images and the file limit to other files', async () => {
    expect((await s.send('/api/any', png(3000))).status_code).toBe(0);
    expect((await s.send('/api/any', png(3001))).status_code).toBe(ErrorCode.FileTooLarge);
    expect((await s.send('/api/any', text(1000))).status_code).toBe(0);
    expect((await s.send('/api/any', text(1001))).status_code).toBe(ErrorCode.FileTooLarge);
    expect((await s.send('/api/any', text(50_000))).status_code).toBe(ErrorCode.FileTooLarge);
  });

  it('refuses a non-image on an image route with 1001, whatever its size', async () => {
    expect((await s.send('/api/image', text(5))).status_code).toBe(ErrorCode.InvalidParams);
    expect((await s.send('/api/image', text(50_000))).status_code).toBe(ErrorCode.InvalidParams);
    expect((await s.send('/api/image', png(3001))).status_code).toBe(ErrorCode.FileTooLarge);
    expect((await s.send('/api/image', png(12))).status_code).toBe(0);
  });

  it('answers 1001 for a missing file, a second file field, bad fields or a non-multipart body', async () => {
    const before = s.received.length;
    expect((await s.send('/api/any', null)).status_code).toBe(ErrorCode.InvalidParams);
    expect((await s.send('/api/any', png(20), {}, 'other')).status_code).toBe(
      ErrorCode.InvalidParams,
    );
    expect((await s.send('/api/any', png(20), { note: 'far too long a note' })).status_code).toBe(
      ErrorCode.InvalidParams,
    );
    const json = await fetch(`${s.base}/api/any`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"file":"x"}',
    });
    expect(((await json.json()) as { status_code: number }).status_code).toBe(
      ErrorCode.InvalidParams,
    );
    expect(s.received.length).toBe(before);
  });

  it('answers 1001 for a file name the database could not store (U+0000)', async () => {
    const before = s.received.length;
    const boundary = 'edge-boundary';
    const part = (filename: string) =>
      Buffer.from(
        `--${boundary}\r\n` +
          `Content-Disposition: form-data; name="file"; filename*=UTF-8''${filename}\r\n` +
          `Content-Type: application/octet-stream\r\n\r\nabc\r\n--${boundary}--\r\n`,
      );
    const upload = async (filename: string) =>
      (await (
        await fetch(`${s.base}/api/any`, {
          method: 'POST',
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
          body: part(filename),
        })
      ).json()) as { status_code: number; status_msg: string; data?: { name: string } };
    const nul = await upload('a%00b.txt');
    expect(nul.status_code).toBe(ErrorCode.InvalidParams);
    expect(nul.status_msg).toContain('file: its file name must not contain the character U+0000');
    expect(s.received.length).toBe(before);
    expect(await upload('a%E5%AD%97b.txt')).toMatchObject({
      status_code: 0,
      data: { name: 'a字b.txt' },
    });
  });

  it('documents the form in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${s.base}/api/openapi.json`)).json()) as {
      paths: Record<string, { post: { requestBody: { content: Record<string, unknown> } } }>;
    };
    const body = doc.paths['/api/image'].post.requestBody.content['multipart/form-data'];
    expect(body).toMatchObject({
      schema: {
        properties: { note: { type: 'string' }, file: { type: 'string', format: 'binary' } },
        required: ['file'],
      },
    });
  });
});
