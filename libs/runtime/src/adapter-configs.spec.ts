import path from 'node:path';
import { loadConfig } from '@chat/config';
import {
  busConfig,
  cacheConfig,
  databaseConfig,
  jobQueueConfig,
  pushConfig,
  requireDatabaseUrl,
} from './adapter-configs';

const dir = path.resolve(__dirname, '../../../config/app');
const key = 'test-signing-key-7Hq2Xv9LmP4zR8sK1wN6bT3y';

describe('adapter configs', () => {
  it('pick the embedded adapters when no connection key is set', () => {
    const c = loadConfig({ dir, env: { TOKEN_KEY: key } });
    expect(cacheConfig(c)).toEqual({ kind: 'memory' });
    expect(busConfig(c, 'api').kind).toBe('memory');
    expect(jobQueueConfig(c)).toEqual({ kind: 'memory' });
    expect(() => requireDatabaseUrl(c)).toThrow(/Postgresql\.Url: not set/);
    expect(databaseConfig(c)).toEqual({ kind: 'embedded', dir: path.join('.data', 'db') });
  });

  it('pick the production adapters when the connection keys are set', () => {
    const c = loadConfig({
      dir,
      env: {
        TOKEN_KEY: key,
        REDIS_URL: 'redis://127.0.0.1:6379',
        KAFKA_BROKERS: '127.0.0.1:9092',
        DATABASE_URL: 'postgres://chat@127.0.0.1:5432/chat',
      },
    });
    expect(databaseConfig(c)).toEqual({
      kind: 'postgres',
      url: 'postgres://chat@127.0.0.1:5432/chat',
      poolMax: 10,
    });
    expect(cacheConfig(c)).toMatchObject({ kind: 'redis', url: 'redis://127.0.0.1:6379' });
    expect(busConfig(c, 'api')).toMatchObject({
      kind: 'kafka',
      clientId: 'chat-api',
      brokers: ['127.0.0.1:9092'],
    });
    expect(jobQueueConfig(c)).toMatchObject({ kind: 'bullmq' });
  });

  it('turn device notifications on per provider whose keys are all set, else dev sink or none', () => {
    const load = (env: Record<string, string>) =>
      loadConfig({ dir, env: { TOKEN_KEY: key, ...env } });
    expect(pushConfig(load({}))).toEqual({ kind: 'none' });
    expect(pushConfig(load({ PUSH_DEV_SINK: 'true' }))).toEqual({
      kind: 'dev',
      dir: path.join('.data', 'push'),
    });
    const account = { project_id: 'p', client_email: 'e@p', private_key: 'k' };
    const both = pushConfig(
      load({
        PUSH_DEV_SINK: 'true',
        PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify(account),
        PUSH_WEB_PUSH_SUBJECT: 'mailto:ops@example.com',
        PUSH_WEB_PUSH_PUBLIC_KEY: 'pub',
        PUSH_WEB_PUSH_PRIVATE_KEY: 'priv',
      }),
    );
    expect(both).toEqual({
      kind: 'providers',
      fcm: { serviceAccount: account, endpoint: 'https://fcm.googleapis.com' },
      webpush: { subject: 'mailto:ops@example.com', publicKey: 'pub', privateKey: 'priv' },
    });
    expect(() => pushConfig(load({ PUSH_APNS_KEY_ID: 'ABC', PUSH_APNS_TOPIC: 'x' }))).toThrow(
      /Push\.ApnsKey, Push\.ApnsTeamId: not set/,
    );
    expect(() =>
      pushConfig(load({ PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify({ project_id: 'p' }) })),
    ).toThrow(/needs project_id, client_email and private_key/);
  });
});
