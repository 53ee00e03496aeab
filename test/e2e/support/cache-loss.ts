import { Redis } from 'ioredis';
import type { TargetStack } from './target';

/**
 * What a Redis FLUSHALL (or a Redis restarted without persistence) does to one suite: every
 * key under the suite's prefix, or under `prefix + under` (say `presence:`), is deleted.
 * Other suites share the Redis, so nothing else is touched. Distributed target only: the
 * standalone server keeps its cache in its own memory (see `TargetStack.restart`).
 * Returns the keys deleted.
 */
export async function dropRedisKeys(stack: TargetStack, under = ''): Promise<string[]> {
  if (!stack.ctx) throw new Error('dropRedisKeys: the standalone target has no Redis');
  const redis = new Redis(stack.ctx.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const dropped: string[] = [];
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${stack.ctx.redisPrefix}${under}*`,
        'COUNT',
        1000,
      );
      if (keys.length > 0) await redis.unlink(...keys);
      dropped.push(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return dropped;
}

/** Whether Redis holds `key` under the suite's prefix (distributed target only). */
export async function redisHas(stack: TargetStack, key: string): Promise<boolean> {
  if (!stack.ctx) throw new Error('redisHas: the standalone target has no Redis');
  const redis = new Redis(stack.ctx.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    return (await redis.exists(`${stack.ctx.redisPrefix}${key}`)) === 1;
  } finally {
    redis.disconnect();
  }
}
