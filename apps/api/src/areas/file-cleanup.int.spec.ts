import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCacheAdapters, type CacheAdapters } from '@chat/cache';
import { PgFileRepository, StoredFile, type Database } from '@chat/db';
import { openMigratedDatabase, TestData } from '@chat/db/testing';
import { createLogger } from '@chat/logger';
import { LocalDiskStore } from '@chat/storage';
import { createSuiteContext, waitFor, type SuiteContext } from '@chat/testing';
import {
  FILE_CLEANUP_LOCK_KEY,
  runFileCleanupOnce,
  scheduleFileCleanup,
  type FileCleanupDeps,
} from './file-cleanup';

const log = createLogger({ name: 'file-cleanup-test', level: 'silent' });

let ctx: SuiteContext;
let db: Database;
let cache: CacheAdapters;
let dir: string;
let store: LocalDiskStore;
let n = 0;

beforeAll(async () => {
  ctx = await createSuiteContext('api_file_cleanup');
  db = await openMigratedDatabase(ctx.databaseUrl);
  cache = createCacheAdapters({ kind: 'redis', url: ctx.redisUrl, prefix: ctx.redisPrefix }, log);
  dir = await mkdtemp(path.join(os.tmpdir(), 'file-cleanup-'));
  store = new LocalDiskStore({ dir, publicBaseUrl: 'http://127.0.0.1/files' }, log);
});

afterAll(async () => {
  await store?.close();
  await cache?.close();
  await db?.close();
  await rm(dir, { recursive: true, force: true });
  await ctx?.cleanup();
});

const deps = (): FileCleanupDeps => ({
  files: new PgFileRepository(db.em),
  store,
  lock: cache.cache,
  lockTtlMs: 60_000,
  retry: { delayMs: 10, maxTimes: 1 },
  log,
});

/** A stored object with its row; `link` decides whether the row is still attached. */
async function fileWithObject(link: { accountId?: number; relationId?: number }) {
  const key = `test/${++n}.png`;
  await store.put(key, Buffer.from('png'), { contentType: 'image/png', size: 3 });
  const row = await new TestData(db.em.fork()).file({
    purpose: link.accountId ? 'account_avatar' : 'message',
    key,
    accountId: link.accountId ?? null,
    relationId: link.relationId ?? null,
  });
  return row;
}

const exists = (key: string) =>
  stat(path.join(dir, key)).then(
    () => true,
    () => false,
  );
const rowOf = (id: number) => db.em.fork().findOne(StoredFile, { id });

describe('the orphan file clean-up', () => {
  it('deletes orphans, object and row, and leaves live files alone', async () => {
    const t = new TestData(db.em.fork());
    const owner = await t.account();
    const live = await fileWithObject({ accountId: owner.id });
    const orphanAvatar = await fileWithObject({});
    const orphanMessageFile = await fileWithObject({});

    const summary = await runFileCleanupOnce(deps());
    expect(summary).toMatchObject({ failed: 0, stopped: false });
    for (const gone of [orphanAvatar, orphanMessageFile]) {
      expect(await exists(gone.key)).toBe(false);
      expect(await rowOf(gone.id)).toBeNull();
    }
    expect(await exists(live.key)).toBe(true);
    expect(await rowOf(live.id)).not.toBeNull();
  });

  it('is skipped while another instance holds the lock, and runs once it is free', async () => {
    const orphan = await fileWithObject({});
    expect(await cache.cache.setIfAbsent(FILE_CLEANUP_LOCK_KEY, 'other-instance', 60_000)).toBe(
      true,
    );
    expect(await runFileCleanupOnce(deps())).toBe('skipped');
    expect(await rowOf(orphan.id)).not.toBeNull();

    await cache.cache.releaseLock(FILE_CLEANUP_LOCK_KEY, 'other-instance');
    expect(await runFileCleanupOnce(deps())).toMatchObject({ deleted: 1 });
    expect(await rowOf(orphan.id)).toBeNull();
    // Released after the run: the next one can take it.
    expect(await cache.cache.setIfAbsent(FILE_CLEANUP_LOCK_KEY, 'probe', 1000)).toBe(true);
    await cache.cache.releaseLock(FILE_CLEANUP_LOCK_KEY, 'probe');
  });

  it('keeps a file whose object cannot be deleted for the next run and handles the rest', async () => {
    const stuck = await fileWithObject({});
    const fine = await fileWithObject({});
    const failing = {
      delete: async (key: string) => {
        if (key === stuck.key) throw new Error('storage refuses');
        await store.delete(key);
      },
    };
    const summary = await runFileCleanupOnce({ ...deps(), store: failing });
    expect(summary).toMatchObject({ deleted: 1, failed: 1 });
    expect(await rowOf(stuck.id)).not.toBeNull();
    expect(await rowOf(fine.id)).toBeNull();

    expect(await runFileCleanupOnce(deps())).toMatchObject({ deleted: 1, failed: 0 });
    expect(await rowOf(stuck.id)).toBeNull();
  });

  it('runs on its period until closed', async () => {
    const orphan = await fileWithObject({});
    const job = scheduleFileCleanup({ ...deps(), periodMs: 100 });
    try {
      await waitFor(async () => (await rowOf(orphan.id)) === null, {
        timeoutMs: 10_000,
        what: 'the scheduled clean-up to delete the orphan',
      });
      expect(await exists(orphan.key)).toBe(false);
    } finally {
      await job.close();
      await job.close();
    }
  });
});
