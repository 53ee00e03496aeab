import { LIMIT_KEYS } from '@chat/cache';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import { TOKEN_EPOCH_CACHE_TTL_MS, TokenService } from '@chat/auth';
import { compileTrustProxy, type Config } from '@chat/config';
import { OutboxRepository, PgAccountRepository, PgUserRepository } from '@chat/db';
import { SessionService } from '@chat/domain';
import { SnowflakeGenerator } from '@chat/ids';
import type { Logger } from '@chat/logger';
import { TOPICS } from '@chat/protocol';
import { OutboxRelay } from './outbox/outbox-relay';
import { registerOutboxBacklog } from './outbox/outbox-metrics';
import { OutboxUnitOfWork } from './outbox/outbox-unit-of-work';
import { AREAS, type AreaContext } from './areas';
import { createHttpApp } from './http/app';
import { buildAsyncApi } from './http/asyncapi';
import { buildOpenApi } from './http/openapi';
import { createBlobStore } from '@chat/storage';
import {
  blobStoreConfig,
  busConfig,
  registerQueueDepth,
  roleOps,
  startRole,
  tokenSettings,
  type OpsHost,
  type SharedPorts,
} from '@chat/runtime';
import { requestTimer } from './http/request-metrics';

/**
 * TTL of the shared membership cache as the gateways configure it. The api only
 * invalidates (after a membership change commits); the TTL sets how long that is remembered.
 */
const MEMBERSHIP_TTL_MS = 5 * 60 * 1000;

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
  | 'Message'
  | 'Page'
  | 'Limit'
  | 'Auto'
  | 'Outbox'
  | 'AliyunOSS'
  | 'Push'
>;

/**
 * `SharedPorts`: a database, cache, bus and email queue owned by the caller (a one-process
 * runner shares its embedded ones between the roles); the api uses them but does not close
 * them. Default: its own, from config.
 */
export interface ApiDeps extends SharedPorts {
  /** Port of the listener; default `Server.ApiPort` (0: a free port). */
  port?: number;
  /** Ids of the messages the api writes; a one-process runner shares the gateway's. */
  ids?: SnowflakeGenerator;
  /** Takes HTTP upgrade requests (a one-process runner hands `/ws` to its gateway). */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /**
   * More routes on the listener, mounted after the api's own and before its 404 answer (the
   * one-process server serves the web app and its dev mailbox page here).
   */
  http?: (app: Express) => void;
  /**
   * No other api uses this database (the one-process server): the outbox relay then takes
   * no lock and holds no transaction while it publishes. Default false: several api
   * processes may share the database, and their relays take turns.
   */
  soleApi?: boolean;
  /**
   * The process's one ops server, when the api runs beside other roles (the standalone
   * server): its figures go there and it starts no ops server of its own.
   */
  ops?: OpsHost;
}

export interface RunningApi {
  port: number;
  /** Port of its ops server (`Server.ApiOpsPort`); none when `deps.ops` hosts its figures. */
  opsPort?: number;
  stop(): Promise<void>;
}

/** Composition root of the api (docs/development.md §3): adapters, services, routes, then the listener. */
export async function start(
  config: ApiConfig,
  log: Logger,
  deps: ApiDeps = {},
): Promise<RunningApi> {
  const port = deps.port ?? config.Server.ApiPort;
  return startRole('api', log, async (kit) => {
    const busCfg = busConfig(config, 'api');
    const db = await kit.database(config, deps.db);
    const cache = await kit.cache(config, deps.cache);
    const bus = await kit.bus(busCfg, deps.bus);
    await bus.ensureTopics([TOPICS.events, TOPICS.messages, TOPICS.presence]);
    const mailQueue = await kit.emailQueue(config, deps.emailQueue);
    const storage = await kit.port('file storage', undefined, () =>
      createBlobStore(blobStoreConfig(config), log),
    );

    const tokens = new TokenService(tokenSettings(config));
    // Ops: /healthz, /readyz (database, Redis, Kafka) and /metrics on the ops port
    // (Server.ApiOpsPort), with request latency by route, the email queue's depth and the
    // outbox's backlog. The public port has a plain /healthz only.
    const ops = roleOps(kit, {
      host: deps.ops,
      services: {
        database: db,
        redis: config.Redis.Url ? cache : undefined,
        kafka: busCfg.kind === 'kafka' ? bus : undefined,
      },
      listen: { host: config.Server.Host, port: config.Server.ApiOpsPort },
    });
    const { metrics } = ops;
    registerQueueDepth(metrics, mailQueue);
    // The transactional outbox: changes commit with their bus records, which the relay
    // publishes after the commit (docs/architecture.md, guarantees).
    const outbox = new OutboxRepository(db.em);
    registerOutboxBacklog(metrics, outbox);
    const relay = new OutboxRelay({
      outbox,
      bus,
      exclusive: !deps.soleApi,
      batchSize: config.Outbox.BatchSize,
      pollMs: config.Outbox.PollInterval,
      retryDelayMs: config.Auto.Retry.Duration,
      hold: config.Outbox.HoldRelay,
      metrics,
      log: log.child({ component: 'outbox' }),
    });
    relay.start();
    // Stopped after the listener, so it publishes what the last requests committed.
    kit.add('outbox relay', () => relay.stop());
    const work = new OutboxUnitOfWork({
      db,
      outbox,
      relay,
      membership: cache.membership({ ttlMs: MEMBERSHIP_TTL_MS }),
      publishWaitMs: config.Outbox.PublishWait,
      log: log.child({ component: 'outbox' }),
    });
    const sessions = new SessionService({
      epochs: cache.tokenEpochs({ ttlMs: TOKEN_EPOCH_CACHE_TTL_MS }),
      users: new PgUserRepository(db.em),
      accounts: new PgAccountRepository(db.em),
      log: log.child({ component: 'sessions' }),
    });
    const ctx: AreaContext = {
      config,
      db,
      cache,
      work,
      ids: deps.ids ?? new SnowflakeGenerator({ nodeId: config.App.MachineID }),
      storage,
      mailQueue,
      tokens,
      sessions,
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
      if (job) kit.add(job.name, () => job.close());
    }
    const ip = config.Limit.IPLimit;
    const limiter = cache.limiter;
    const app = createHttpApp({
      first: requestTimer(metrics),
      routes,
      tokens,
      callers: {
        user: (id) => sessions.user(id),
        account: (id) => sessions.account(id),
      },
      ipLimit: async (key) =>
        (
          await limiter.take(LIMIT_KEYS.address(key), {
            bucket: ip.Bucket,
            refill: ip.Refill,
            intervalMs: ip.Interval,
            cost: ip.Cost,
          })
        ).allowed,
      routeLimits: {
        email: async (key) =>
          (await limiter.take(LIMIT_KEYS.email(key), config.Limit.APILimit.Email)).allowed,
        upload: async (key) =>
          (await limiter.take(LIMIT_KEYS.upload(key), config.Limit.APILimit.Upload)).allowed,
      },
      requestTimeoutMs: config.Server.DefaultContextTimeout,
      trustProxy: compileTrustProxy(config.Server.TrustProxy),
      openapi: buildOpenApi(routes, { title: `${config.App.Name} api`, version: '1' }),
      asyncapi: buildAsyncApi({ title: `${config.App.Name} WebSocket`, version: '1' }),
      log,
      extra: (http) => {
        for (const area of AREAS) area.http?.(http, ctx);
        http.get('/healthz', (_req, res) => {
          const reply = ops.endpoints.publicHealth();
          res.status(reply.status).type(reply.contentType).send(reply.body);
        });
        deps.http?.(http);
      },
    });

    // Just before the listener: a port already taken stops the start before it serves.
    const opsPort = await ops.serve();
    const server = await listen(app, config.Server.Host, port, deps.upgrade);
    kit.add('http listener', () => closeServer(server));
    const actualPort = (server.address() as AddressInfo).port;
    log.info({ port: actualPort }, 'api listening');
    return {
      port: actualPort,
      opsPort,
      // Reverse of start: the listener drains its requests first, then the outbox relay
      // publishes what they committed, then the adapters close.
      stop: kit.stopper(() => ops.endpoints.markStopping()),
    };
  });
}

function listen(
  app: Express,
  host: string,
  port: number,
  upgrade?: ApiDeps['upgrade'],
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    // Attached before the first connection can arrive; without it Node drops upgrades.
    if (upgrade) server.on('upgrade', upgrade);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

/** How often idle keep-alive connections are closed while the listener drains. */
const DRAIN_TICK_MS = 100;

/**
 * Stops accepting, lets in-flight requests finish, and ends keep-alive connections (docs/development.md
 * §4): requests arriving on them from now on are answered with `Connection: close`, and
 * each is closed as soon as it is idle, so a busy client cannot hold the listener open.
 */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.prependListener('request', (_req, res) => res.setHeader('connection', 'close'));
    const ticker = setInterval(() => server.closeIdleConnections(), DRAIN_TICK_MS);
    server.close((err) => {
      clearInterval(ticker);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
