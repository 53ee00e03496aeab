import { Client } from 'pg';
import Redis from 'ioredis';
import { isListening } from './services/run';
import { startPrivatePostgres, type PrivatePostgres } from './services/private-postgres';
import { startPrivateRedis, type PrivateRedis } from './services/private-redis';

const log = () => undefined;

async function pgQuery<T extends object>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('private services a fault test stops and starts', () => {
  let postgres: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;

  afterEach(async () => {
    await Promise.all([postgres?.stop(), redis?.stop()]);
    postgres = redis = undefined;
  });

  it('Postgres: back on the same port with the same data after a crash (SIGKILL)', async () => {
    postgres = await startPrivatePostgres(log);
    await pgQuery(postgres.url, 'create table kept (v text); insert into kept values ($$x$$)');
    await postgres.halt({ signal: 'SIGKILL' });
    expect(await isListening('127.0.0.1', postgres.port)).toBe(false);
    await postgres.resume();
    expect(await pgQuery(postgres.url, 'select v from kept')).toEqual([{ v: 'x' }]);
    // The encoding the suites' databases are created with is available.
    const [{ enc }] = await pgQuery<{ enc: string }>(
      postgres.url,
      'select pg_encoding_to_char(encoding) as enc from pg_database where datname = current_database()',
    );
    expect(enc).toBe('UTF8');
  });

  it('Redis: back on the same port, empty', async () => {
    redis = await startPrivateRedis(log);
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    try {
      await client.set('k', 'v');
      await redis.halt();
      expect(await isListening('127.0.0.1', redis.port)).toBe(false);
      await redis.resume();
      // The same client reconnects by itself; the key went with the server.
      expect(await client.get('k')).toBeNull();
      await client.set('k', 'w');
      expect(await client.get('k')).toBe('w');
    } finally {
      client.disconnect();
    }
  });
});
