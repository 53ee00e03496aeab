import { Redis } from 'ioredis';

/**
 * Asks Redis whether it answers (`PING`), on a connection of its own that never queues a
 * command while disconnected, so a probe fails at once instead of waiting for a reconnect.
 */
export class RedisProbe {
  private readonly redis: Redis;
  private closed = false;

  constructor(url: string) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      // Closing never waits on a dead socket (ioredis waits 2 s by default).
      disconnectTimeout: 100,
    });
    // Connection errors surface as failed pings; without a listener ioredis prints them.
    this.redis.on('error', () => undefined);
  }

  async ping(): Promise<void> {
    if (this.redis.status === 'wait') await this.redis.connect();
    await this.redis.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.redis.disconnect();
  }
}
