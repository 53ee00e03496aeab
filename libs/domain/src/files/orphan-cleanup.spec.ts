import { Writable } from 'node:stream';
import { createLogger } from '@chat/logger';
import { cleanOrphanFiles } from './orphan-cleanup';
import type { FileRecord } from '@chat/db';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: createLogger({ name: 'cleanup-test', destination }), lines };
}

const orphan = (id: number): FileRecord => ({
  id,
  purpose: 'message',
  fileName: `f${id}`,
  fileType: 'file',
  fileSize: 1,
  key: `k/${id}.bin`,
  url: `https://f/k/${id}.bin`,
  relationId: null,
  accountId: null,
  createAt: new Date(0),
});

/** Orphan rows in memory and an object store whose deletes fail on demand. */
function world(ids: number[], failures: Record<string, number> = {}) {
  const rows = new Map(ids.map((id) => [id, orphan(id)]));
  const objects = new Set(ids.map((id) => `k/${id}.bin`));
  const attempts: string[] = [];
  return {
    rows,
    objects,
    attempts,
    files: {
      orphans: async (afterId: number, limit: number) =>
        [...rows.values()].filter((r) => r.id > afterId).slice(0, limit),
      countOrphans: async () => rows.size,
      deleteOrphan: async (id: number) => rows.delete(id),
    },
    store: {
      delete: async (key: string) => {
        attempts.push(key);
        if ((failures[key] ?? 0) > 0) {
          failures[key]--;
          throw new Error(`cannot delete ${key}`);
        }
        objects.delete(key);
      },
    },
  };
}

describe('cleanOrphanFiles', () => {
  it('deletes each orphan object, then its row, across batches, and logs progress', async () => {
    const w = world([1, 2, 3, 4, 5]);
    const { log, lines } = capturingLogger();
    const summary = await cleanOrphanFiles({
      ...w,
      log,
      retry: { delayMs: 1, maxTimes: 0 },
      batchSize: 2,
      progressEvery: 2,
    });
    expect(summary).toEqual({ total: 5, done: 5, deleted: 5, failed: 0, stopped: false });
    expect(w.rows.size).toBe(0);
    expect(w.objects.size).toBe(0);
    expect(lines.filter((l) => l.msg === 'orphan file clean-up progress')).toEqual([
      expect.objectContaining({ done: 2, total: 5 }),
      expect.objectContaining({ done: 4, total: 5 }),
    ]);
    expect(lines.at(-1)).toMatchObject({ msg: 'orphan file clean-up finished', deleted: 5 });
  });

  it('retries a failing delete within the run, per Auto.Retry', async () => {
    const w = world([1], { 'k/1.bin': 2 });
    const summary = await cleanOrphanFiles({
      ...w,
      log: capturingLogger().log,
      retry: { delayMs: 1, maxTimes: 2 },
    });
    expect(w.attempts).toEqual(['k/1.bin', 'k/1.bin', 'k/1.bin']);
    expect(summary).toMatchObject({ deleted: 1, failed: 0 });
    expect(w.rows.size).toBe(0);
  });

  it('logs a file that keeps failing, keeps its row for the next run, and goes on', async () => {
    const w = world([1, 2, 3], { 'k/2.bin': 99 });
    const { log, lines } = capturingLogger();
    const summary = await cleanOrphanFiles({ ...w, log, retry: { delayMs: 1, maxTimes: 1 } });
    expect(summary).toEqual({ total: 3, done: 3, deleted: 2, failed: 1, stopped: false });
    expect([...w.rows.keys()]).toEqual([2]);
    expect(w.objects).toEqual(new Set(['k/2.bin']));
    expect(lines).toContainEqual(
      expect.objectContaining({
        fileId: 2,
        attempts: 2,
        msg: expect.stringContaining('not deleted'),
      }),
    );
  });

  it('stops between files once its signal is aborted', async () => {
    const w = world([1, 2, 3]);
    const controller = new AbortController();
    const store = {
      delete: async (key: string) => {
        await w.store.delete(key);
        controller.abort();
      },
    };
    const summary = await cleanOrphanFiles({
      files: w.files,
      store,
      log: capturingLogger().log,
      retry: { delayMs: 1, maxTimes: 0 },
      signal: controller.signal,
    });
    expect(summary).toMatchObject({ done: 1, stopped: true });
    expect(w.rows.size).toBe(2);
  });
});
