import { createLogger } from '@chat/logger';
import { cacheContract, type CacheContractHarness } from './cache.contract';
import { connectionCountsContract } from './connection-counts.contract';
import { createCacheAdapters } from './create-cache';

describe('memory cache adapters', () => {
  let clock = 1_700_000_000_000;
  const log = createLogger({ name: 'cache-test', level: 'silent' });
  const harness: CacheContractHarness = {
    adapters: createCacheAdapters({ kind: 'memory', now: () => clock }, log),
    async elapse(ms) {
      clock += ms;
    },
    async eventually(check, what) {
      // The fake clock moves in small steps, so a check sees each moment a real one would.
      for (let stepped = 0; stepped <= 600_000; stepped += 10) {
        if (await check()) return;
        clock += 10;
      }
      throw new Error(`${what} did not happen within ten minutes of fake time`);
    },
  };

  afterAll(() => harness.adapters.close());

  cacheContract(() => harness);
  connectionCountsContract(() => harness);
});
