import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@chat/logger';
import { LocalDiskStore } from './local-disk-store';
import { serveLocalFiles } from './serve-local-files';
import { blobStoreContract } from './testing/blob-store.contract';

const log = createLogger({ name: 'storage-test', level: 'silent' });

/** A folder, a store on it and an HTTP server serving it at /files, as the api mounts it. */
async function localStack() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'local-store-'));
  const handler = serveLocalFiles(dir);
  const server = http.createServer((req, res) => {
    const notFound = () => {
      res.statusCode = 404;
      res.end('not found');
    };
    if (!req.url?.startsWith('/files/')) return notFound();
    req.url = req.url.slice('/files'.length);
    handler(req, res, (err) => {
      res.statusCode = err ? 500 : 404;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = new LocalDiskStore({ dir, publicBaseUrl: `${base}/files/` }, log);
  const cleanup = async () => {
    await store.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, base, store, cleanup };
}

blobStoreContract('LocalDiskStore', async () => {
  const { store, cleanup } = await localStack();
  return { store, cleanup };
});

describe('LocalDiskStore on disk and its file handler', () => {
  let s: Awaited<ReturnType<typeof localStack>>;

  beforeEach(async () => {
    s = await localStack();
  });

  afterEach(async () => {
    await s.cleanup();
  });

  it('writes each key as a file under its folder and leaves no temporary file', async () => {
    const body = Buffer.from('hello');
    await s.store.put('a/b/c.txt', body, { contentType: 'text/plain', size: 5 });
    expect(await readFile(path.join(s.dir, 'a/b/c.txt'), 'utf8')).toBe('hello');
    expect(await readdir(path.join(s.dir, '.tmp'))).toEqual([]);
  });

  it('builds urls under its public base, with or without a trailing slash', async () => {
    const { url } = await s.store.put('x/file_name-1.txt', Buffer.from('hi'), {
      contentType: 'text/plain',
      size: 2,
    });
    expect(url).toBe(`${s.base}/files/x/file_name-1.txt`);
    const bare = new LocalDiskStore({ dir: s.dir, publicBaseUrl: `${s.base}/files` }, log);
    expect(bare.urlOf('x/file_name-1.txt')).toBe(url);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('hi');
  });

  it('serves uploads inertly: nosniff and a sandboxing content security policy', async () => {
    const { url } = await s.store.put('page.html', Buffer.from('<script>1</script>'), {
      contentType: 'text/html',
      size: 18,
    });
    const res = await fetch(url);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('answers HEAD with the length and no body', async () => {
    const { url } = await s.store.put('h.bin', Buffer.alloc(42), {
      contentType: 'application/octet-stream',
      size: 42,
    });
    const res = await fetch(url, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('42');
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('lists no folder, hides dot files and refuses paths that climb out', async () => {
    await s.store.put('dir/inner.txt', Buffer.from('x'), { contentType: 'text/plain', size: 1 });
    await mkdir(path.join(s.dir, '.tmp'), { recursive: true });
    await writeFile(path.join(s.dir, '.tmp', 'secret.txt'), 'secret');
    await writeFile(path.join(path.dirname(s.dir), 'outside-local-store.txt'), 'outside');
    try {
      for (const p of [
        '/files/dir',
        '/files/dir/',
        '/files/',
        '/files/.tmp/secret.txt',
        '/files/%2e%2e/outside-local-store.txt',
        '/files/dir/..%2F..%2Foutside-local-store.txt',
        '/files/%2Fetc%2Fpasswd',
      ]) {
        expect({ p, status: (await fetch(`${s.base}${p}`)).status }).toEqual({ p, status: 404 });
      }
      expect((await fetch(`${s.base}/files/dir/inner.txt`, { method: 'POST' })).status).toBe(404);
    } finally {
      await rm(path.join(path.dirname(s.dir), 'outside-local-store.txt'), { force: true });
    }
  });
});
