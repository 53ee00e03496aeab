import { Writable } from 'node:stream';
import { createLogger } from '@chat/logger';
import { createCacheAdapters } from './create-cache';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: createLogger({ name: 'cache-test', destination }), lines };
}

describe('createCacheAdapters', () => {
  it('logs one line naming the memory adapter and closes twice without error', async () => {
    const { log, lines } = capturingLogger();
    const adapters = createCacheAdapters({ kind: 'memory' }, log);
    await adapters.close();
    await expect(adapters.close()).resolves.toBeUndefined();
    expect(lines).toEqual([expect.objectContaining({ adapter: 'memory', msg: 'cache adapter' })]);
  });

  it('refuses email code options that cannot work', () => {
    const { log } = capturingLogger();
    const { codes } = createCacheAdapters({ kind: 'memory' }, log);
    const valid = { codeLength: 6, codeTtlMs: 1000, resendIntervalMs: 0 };
    expect(() => codes(valid)).not.toThrow();
    expect(() => codes({ ...valid, codeTtlMs: 0 })).toThrow(RangeError);
    expect(() => codes({ ...valid, codeLength: 0 })).toThrow(RangeError);
    expect(() => codes({ ...valid, maxFailedChecks: 0 })).toThrow(RangeError);
  });
});
