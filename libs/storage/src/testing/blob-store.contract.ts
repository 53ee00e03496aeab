import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { InfrastructureError } from '@chat/protocol';
import type { BlobStore } from '../blob-store';

/** A fresh store for one test, and how to release it (closing twice must be fine). */
export interface BlobStoreUnderTest {
  store: BlobStore;
  cleanup(): Promise<void>;
}

/** What a client gets from an object's URL. */
async function read(url: string): Promise<{ status: number; type: string | null; body: Buffer }> {
  const res = await fetch(url);
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: Buffer.from(await res.arrayBuffer()),
  };
}

/** A small PNG-looking body: the signature then random bytes. */
function pngBytes(size = 300): Buffer {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, randomBytes(size - signature.length)]);
}

/**
 * The behaviour every `BlobStore` adapter must show: what is put is readable at its URL,
 * byte for byte and with its type; a delete removes it and is idempotent; bodies of the
 * wrong size and keys that could escape the store are refused. Objects are read over HTTP,
 * as a client would, so each adapter's spec serves its objects (the api's file handler for
 * local disk, a local OSS stand-in for OSS).
 */
export function blobStoreContract(name: string, make: () => Promise<BlobStoreUnderTest>): void {
  describe(`${name} (blob store contract)`, () => {
    let current: BlobStoreUnderTest | undefined;
    let n = 0;
    const store = (): BlobStore => current!.store;
    const key = (ext = 'png') => `contract/${++n}/${randomBytes(4).toString('hex')}.${ext}`;

    beforeEach(async () => {
      current = await make();
    });

    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    it('serves a stored buffer at its url, byte for byte, with its content type', async () => {
      const k = key();
      const body = pngBytes();
      const stored = await store().put(k, body, { contentType: 'image/png', size: body.length });
      expect(stored).toEqual({ key: k, url: store().urlOf(k) });
      const got = await read(stored.url);
      expect(got.status).toBe(200);
      expect(got.type).toBe('image/png');
      expect(got.body.equals(body)).toBe(true);
    });

    it('stores a stream of the declared size', async () => {
      const k = key('bin');
      const parts = [randomBytes(1000), randomBytes(5000), randomBytes(17)];
      const size = parts.reduce((s, p) => s + p.length, 0);
      const { url } = await store().put(k, Readable.from(parts), {
        contentType: 'application/octet-stream',
        size,
      });
      const got = await read(url);
      expect(got.status).toBe(200);
      expect(got.body.equals(Buffer.concat(parts))).toBe(true);
    });

    it('replaces the object when the same key is put again', async () => {
      const k = key();
      const first = pngBytes(100);
      const second = pngBytes(200);
      await store().put(k, first, { contentType: 'image/png', size: first.length });
      const { url } = await store().put(k, second, { contentType: 'image/png', size: 200 });
      expect((await read(url)).body.equals(second)).toBe(true);
    });

    it('deletes an object, and deleting it again or deleting a missing key succeeds', async () => {
      const k = key();
      const body = pngBytes();
      const { url } = await store().put(k, body, { contentType: 'image/png', size: body.length });
      await store().delete(k);
      expect((await read(url)).status).toBe(404);
      await expect(store().delete(k)).resolves.toBeUndefined();
      await expect(store().delete(key())).resolves.toBeUndefined();
    });

    it('refuses a body whose length differs from the declared size and leaves nothing', async () => {
      const short = key();
      const long = key();
      await expect(
        store().put(short, Readable.from([randomBytes(10)]), {
          contentType: 'image/png',
          size: 11,
        }),
      ).rejects.toBeInstanceOf(InfrastructureError);
      await expect(
        store().put(long, randomBytes(12), { contentType: 'image/png', size: 11 }),
      ).rejects.toBeInstanceOf(InfrastructureError);
      expect((await read(store().urlOf(short))).status).toBe(404);
      expect((await read(store().urlOf(long))).status).toBe(404);
    });

    it.each([
      '../escape.png',
      '/absolute.png',
      'a//b.png',
      '.hidden',
      'a/./b',
      'a/../../b',
      'a\\b',
      '',
    ])('refuses the key %j', async (bad) => {
      await expect(
        store().put(bad, randomBytes(4), { contentType: 'x/y', size: 4 }),
      ).rejects.toThrow(/invalid key/);
      await expect(store().delete(bad)).rejects.toThrow(/invalid key/);
    });

    it('can be closed twice, and refuses work once closed', async () => {
      await store().close();
      await store().close();
      await expect(
        store().put(key(), randomBytes(4), { contentType: 'x/y', size: 4 }),
      ).rejects.toBeInstanceOf(InfrastructureError);
    });
  });
}
