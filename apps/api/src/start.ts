import type { Server } from 'node:http';
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import { TokenService } from '@chat/auth';
import { createBus } from '@chat/bus';
import { createCacheAdapters } from '@chat/cache';
import type { Config } from '@chat/config';
import { AccountRepository, SnowflakeGenerator, UserRepository, openDatabase } from '@chat/db';
import { createJobQueue, retryPolicyFromConfig } from '@chat/jobs';
import type { Logger } from '@chat/logger';
import { QUEUES, TOPICS, type EmailJob } from '@chat/protocol';
import { BusEventPublisher } from './events';
import { BusMessagePublisher } from './messages';
import { AREAS, type AreaContext } from './areas';
import { createHttpApp } from './http/app';
import { buildOpenApi } from './http/openapi';
import { createBlobStore } from '@chat/storage';
import {
  blobStoreConfig,
  busConfig,
  cacheConfig,
  closeInOrder,
  jobQueueConfig,
  requireDatabaseUrl,
  type Closable,
} from '@chat/runtime';

/** The config slice the api reads. */
export type ApiConfig = Pick<
  Config,
  | 'App'
  | 'Server'
  | 'Postgresql'
  | 'Redis'
  | 'Token'
  | 'Kafka'
  | 'Rule'
  | 'Page'
  | 'Limit'
  | 'Auto'
  | 'AliyunOSS'
>;

export interface RunningApi {
  port: number;
  stop(): Promise<void>;
}

/** Composition root of the api (STYLE §3): adapters, services, routes, then the listener. */
export async function start(
  config: ApiConfig,
  log: Logger,
  port = config.Server.ApiPort,
): Promise<RunningApi> {
  const started: Closable[] = [];
  try {
    const db = await openDatabase(
      { url: requireDatabaseUrl(config), poolMax: config.Postgresql.PoolMax },
      log,
    );
    started.push({ name: 'database', close: () => db.close() });
    const cache = createCacheAdapters(cacheConfig(config), log);
    started.push({ name: 'cache', close: () => cache.close() });
    const bus = createBus(busConfig(config, 'api'), log);
    started.push({ name: 'bus', close: () => bus.close() });
    await bus.ensureTopics([TOPICS.events, TOPICS.messages]);
    const mailQueue = createJobQueue<EmailJob>(
      jobQueueConfig(config),
      { name: QUEUES.email, retry: retryPolicyFromConfig(config.Auto.Retry) },
      log,
    );
    started.push({ name: 'mail queue', close: () => mailQueue.close() });
    const storage = createBlobStore(blobStoreConfig(config), log);
    started.push({ name: 'file storage', close: () => storage.close() });

    const tokens = new TokenService({
      key: config.Token.Key,
      userTokenTtlMs: config.Token.UserTokenDuration,
      accountTokenTtlMs: config.Token.AccountTokenDuration,
      headerName: config.Token.AuthorizationKey,
      scheme: config.Token.AuthorizationType,
    });
    const events = new BusEventPublisher(
      bus,
      { delayMs: config.Auto.Retry.Duration, maxTimes: config.Auto.Retry.MaxTimes },
      log.child({ component: 'events' }),
    );
    const ctx: AreaContext = {
      config,
      db,
      cache,
      events,
      messages: new BusMessagePublisher(bus),
      ids: new SnowflakeGenerator({ nodeId: config.App.MachineID }),
      storage,
      mailQueue,
      tokens,
      limits: {
        passwordLenMin: config.Rule.PasswordLenMin,
        passwordLenMax: config.Rule.PasswordLenMax,
        usernameLenMin: config.Rule.UsernameLenMin,
        usernameLenMax: config.Rule.UsernameLenMax,
        codeLength: config.Rule.CodeLength,
        defaultPageSize: config.Page.DefaultPageSize,
        maxPageSize: config.Page.MaxPageSize,
      },
      log,
    };
    const routes = AREAS.flatMap((area) => area.routes(ctx));
    for (const area of AREAS) {
      const job = area.background?.(ctx);
      if (job) started.push(job);
    }
    const users = new UserRepository(db.em);
    const accounts = new AccountRepository(db.em);
    const ip = config.Limit.IPLimit;
    const limiter = cache.limiter;
    let ready = true;
    const app = createHttpApp({
      routes,
      tokens,
      callers: {
        userExists: (id) => users.exists(id),
        accountOwner: (id) => accounts.ownerOf(id),
      },
      ipLimit: async (key) =>
        (
          await limiter.take(`ip:${key}`, {
            bucket: ip.Bucket,
            refill: ip.Refill,
            intervalMs: ip.Interval,
            cost: ip.Cost,
          })
        ).allowed,
      routeLimits: {
        email: async (key) =>
          (await limiter.take(`email:${key}`, config.Limit.APILimit.Email)).allowed,
        upload: async (key) =>
          (await limiter.take(`upload:${key}`, config.Limit.APILimit.Upload)).allowed,
      },
      requestTimeoutMs: config.Server.DefaultContextTimeout,
      openapi: buildOpenApi(routes, { title: `${config.App.Name} api`, version: '1' }),
      log,
      extra: (http) => {
        for (const area of AREAS) area.http?.(http, ctx);
        http.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
        http.get('/readyz', async (_req, res) => {
          const dbOk = ready && (await db.orm.isConnected().catch(() => false));
          res.status(dbOk ? 200 : 503).json({ status: dbOk ? 'ready' : 'not ready' });
        });
      },
    });

    const server = await listen(app, config.Server.Host, port);
    const actualPort = (server.address() as AddressInfo).port;
    log.info({ port: actualPort }, 'api listening');
    return {
      port: actualPort,
      stop: async () => {
        ready = false;
        await closeInOrder(log, [
          { name: 'http listener', close: () => closeServer(server) },
          ...started.reverse(),
        ]);
      },
    };
  } catch (err) {
    await closeInOrder(log, started.reverse());
    throw err;
  }
}

function listen(app: Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

/** Stops accepting, lets in-flight requests finish, then closes idle keep-alive sockets. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
  });
}
