import type { Cache } from '@chat/cache';
import { createLogger } from '@chat/logger';
import { DedupEpoch } from '../requests/dedup-epoch';
import { DEFAULT_SEND_DEDUP, SendDedup, type SendDedupOptions } from '../requests/send-dedup';
import { SentLookup } from '../requests/sent-lookup';

/**
 * A `SendDedup` over `cache` for tests of what sits around it (the handler, the limits):
 * nothing stored in Postgres, so after a loss of the cache every key is new. Its own cases
 * are in send-dedup.spec.ts.
 */
export function testSendDedup(cache: Cache, opts: Partial<SendDedupOptions> = {}): SendDedup {
  const options = { ...DEFAULT_SEND_DEDUP, ...opts };
  const epoch = new DedupEpoch({
    cache,
    windowMs: options.windowMs,
    sentSince: async () => false,
    log: createLogger({ name: 'test', level: 'silent' }),
  });
  return new SendDedup(
    { cache, epoch, sent: new SentLookup({ newestSends: async () => [] }) },
    options,
  );
}
