import { Redis } from 'ioredis';
import { type Logger } from '@chat/logger';
import { type Cache } from './cache';
import { type ConnectionCounts } from './connection-counts';
import { type EmailCodeOptions, type EmailCodeStore } from './email-code-store';
import { type Clock } from './expiring-map';
import { redisKeys } from './keys';
import { MemoryCache } from './memory-cache';
import { MemoryConnectionCounts } from './memory-connection-counts';
import { createMemoryCodeState, MemoryEmailCodeStore } from './memory-email-code-store';
import { type MembershipCache, type MembershipCacheOptions } from './membership-cache';
import { createMemoryMembershipState, MemoryMembershipCache } from './memory-membership-cache';
import { MemoryPresence } from './memory-presence';
import { MemoryRateLimiter } from './memory-rate-limiter';
import { REDIS_RECONNECT_MAX_MS, type Presence } from './presence';
import { type RateLimiter } from './rate-limiter';
import { RedisCache } from './redis-cache';
import { RedisConnectionCounts } from './redis-connection-counts';
import { RedisEmailCodeStore } from './redis-email-code-store';
import { RedisMembershipCache } from './redis-membership-cache';
import { RedisPresence } from './redis-presence';
import { RedisRateLimiter } from './redis-rate-limiter';
import { RedisTokenEpochCache } from './redis-token-epoch-cache';
import { createMemoryTokenEpochState, MemoryTokenEpochCache } from './memory-token-epoch-cache';
import { type TokenEpochCache, type TokenEpochCacheOptions } from './token-epoch-cache';

/**
 * Which adapter backs the cache ports: Redis when `Redis.Url` is set, else in-process
 * (docs/architecture.md, ports and adapters). `now` lets tests move the memory adapters' clock.
 */
export type CacheConfig =
  { kind: 'redis'; url: string; prefix: string } | { kind: 'memory'; now?: Clock };

/** The cache ports over one backing store; `close` releases it and is safe to call twice. */
export interface CacheAdapters {
  /** An email code store with these rules; every store made here shares the same codes. */
  codes(opts: EmailCodeOptions): EmailCodeStore;
  limiter: RateLimiter;
  cache: Cache;
  presence: Presence;
  /** Open connections per account and per client address, over every gateway. */
  connections: ConnectionCounts;
  /** A membership cache with these options; every one made here shares the same lists. */
  membership(opts: MembershipCacheOptions): MembershipCache;
  /** Token epochs with these options; every cache made here shares the same states. */
  tokenEpochs(opts: TokenEpochCacheOptions): TokenEpochCache;
  /**
   * Resolves when the store answers on the adapters' own connection (Redis: `PING`, refused
   * at once while that connection is down or reconnecting, so readiness says what the app's
   * commands would meet); in memory, always. `/readyz` asks it.
   */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The one place that picks the cache adapter (docs/development.md §2). */
export function createCacheAdapters(cfg: CacheConfig, log: Logger): CacheAdapters {
  switch (cfg.kind) {
    case 'redis': {
      log.info({ port: 'cache', adapter: 'redis', prefix: cfg.prefix }, 'cache adapter');
      return redisAdapters(cfg.url, cfg.prefix, log);
    }
    case 'memory': {
      log.info({ port: 'cache', adapter: 'memory' }, 'cache adapter');
      const now = cfg.now ?? Date.now;
      const codeState = createMemoryCodeState(now);
      const membershipState = createMemoryMembershipState(now);
      const tokenEpochState = createMemoryTokenEpochState(now);
      return {
        codes: (opts) => new MemoryEmailCodeStore(opts, codeState),
        limiter: new MemoryRateLimiter(now),
        cache: new MemoryCache(now),
        presence: new MemoryPresence(now),
        connections: new MemoryConnectionCounts(now),
        membership: (opts) => new MemoryMembershipCache(opts, membershipState),
        tokenEpochs: (opts) => new MemoryTokenEpochCache(opts, tokenEpochState),
        ping: async () => undefined,
        close: async () => undefined,
      };
    }
    default: {
      const unknownKind: never = cfg;
      throw new Error(`unknown cache kind ${JSON.stringify(unknownKind)}`);
    }
  }
}

function redisAdapters(url: string, prefix: string, log: Logger): CacheAdapters {
  // Commands wait for a reconnect briefly, then fail (wrapped, retryable) rather than
  // queueing until the request deadline has long passed.
  // Auto-pipelining sends every command issued in one tick in one write: the gateway's
  // per-message reads and claims from many sockets share a round trip (issue 10).
  // Reconnects are tried at least every REDIS_RECONNECT_MAX_MS, which bounds how soon
  // after a Redis restart every gateway announces its sockets again (presence.ts).
  const redis = new Redis(url, {
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 50, REDIS_RECONNECT_MAX_MS),
  });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
  const keys = redisKeys(prefix);
  let closing: Promise<void> | undefined;
  return {
    codes: (opts) => new RedisEmailCodeStore(redis, keys, opts),
    limiter: new RedisRateLimiter(redis, keys),
    cache: new RedisCache(redis, keys),
    presence: new RedisPresence(redis, keys),
    connections: new RedisConnectionCounts(redis, keys),
    membership: (opts) => new RedisMembershipCache(redis, keys, opts),
    tokenEpochs: (opts) => new RedisTokenEpochCache(redis, keys, opts),
    ping: async () => {
      if (redis.status !== 'ready') throw new Error(`redis: not connected (${redis.status})`);
      await redis.ping();
    },
    close: () =>
      (closing ??= (async () => {
        if (redis.status !== 'ready') return redis.disconnect();
        await redis.quit().catch(() => redis.disconnect());
      })()),
  };
}
