import Redis from 'ioredis';
import { waitFor } from '../wait-for';
import { sh } from './run';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The start command of this machine kind's Redis (see the README): nothing kept on disk. */
const START_REDIS =
  'mkdir -p /var/lib/redis /var/log/redis && redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 ' +
  '--save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log';

async function answers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Makes sure Redis answers at `url`, starting the local server if it does not. */
export async function ensureRedis(url: string, log: (msg: string) => void): Promise<void> {
  if (await answers(url)) return;
  log('redis: not answering, starting the local server');
  await sh(START_REDIS);
  await waitFor(() => answers(url), { timeoutMs: 30_000, what: 'redis to answer' });
  log('redis: started');
}
