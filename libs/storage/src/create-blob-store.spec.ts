import { Writable } from 'node:stream';
import { createLogger } from '@chat/logger';
import { createBlobStore } from './create-blob-store';
import { LocalDiskStore } from './local-disk-store';
import { OssStore } from './oss-store';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: createLogger({ name: 'storage-test', destination }), lines };
}

describe('createBlobStore', () => {
  it('picks local disk and logs one line naming it', async () => {
    const { log, lines } = capturingLogger();
    const store = createBlobStore(
      { kind: 'local', dir: '/tmp/never-written', publicBaseUrl: 'http://127.0.0.1:8080/files' },
      log,
    );
    expect(store).toBeInstanceOf(LocalDiskStore);
    expect(store.urlOf('a/b.png')).toBe('http://127.0.0.1:8080/files/a/b.png');
    expect(lines).toEqual([
      expect.objectContaining({ adapter: 'local-disk', msg: 'file storage adapter' }),
    ]);
    await store.close();
  });

  it('picks OSS, logs one line without the credentials, and closes twice', async () => {
    const { log, lines } = capturingLogger();
    const store = createBlobStore(
      {
        kind: 'oss',
        endpoint: 'oss-cn-hangzhou.aliyuncs.com',
        accessKeyId: 'the-id',
        accessKeySecret: 'the-secret',
        bucket: 'files',
        basePath: 'chat/',
      },
      log,
    );
    expect(store).toBeInstanceOf(OssStore);
    expect(store.urlOf('a.png')).toBe('https://files.oss-cn-hangzhou.aliyuncs.com/chat/a.png');
    expect(lines).toEqual([expect.objectContaining({ adapter: 'oss', bucket: 'files' })]);
    expect(JSON.stringify(lines)).not.toMatch(/the-secret|the-id/);
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
