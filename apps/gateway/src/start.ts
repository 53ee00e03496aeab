import { TOKEN_EPOCH_CACHE_TTL_MS, TokenService } from '@chat/auth';
import { createBus, type Bus, type BusConfig, type Subscription } from '@chat/bus';
import { LocalMembershipCache, createCacheAdapters, type CacheAdapters } from '@chat/cache';
import { compileTrustProxy, type Config } from '@chat/config';
import { SnowflakeGenerator, openDatabase, type Database } from '@chat/db';
import type { Logger } from '@chat/logger';
import { CLOSE_CODES, GROUPS, TOPICS, pushTopic } from '@chat/protocol';
import {
  DependencyProbes,
  OpsEndpoints,
  busConfig,
  cacheConfig,
  closeInOrder,
  createMetricsRegistry,
  requireDatabaseUrl,
  startOpsServer,
  type Closable,
  type OpsHost,
} from '@chat/runtime';
import { DeliveryConsumer } from './delivery/delivery-consumer';
import { GatewayMetrics } from './ops/gateway-metrics';
import { EventsConsumer } from './delivery/events-consumer';
import { PresenceAnnouncer } from './presence/presence-announcer';
import { Authenticator } from './requests/authenticator';
import { Dispatcher } from './requests/dispatcher';
import { InFlight } from './requests/in-flight';
import { PipelineGate } from './requests/pipeline-gate';
import { ReadMessageHandler } from './requests/read-msg.handler';
import { DedupEpoch } from './requests/dedup-epoch';
import { DEFAULT_SEND_DEDUP, SendDedup } from './requests/send-dedup';
import { SendMessageHandler } from './requests/send-msg.handler';
import { SendRate } from './requests/send-rate';
import { SentLookup } from './requests/sent-lookup';
import { Session } from './requests/session';
import { ConnectionAdmission } from './sockets/connection-admission';
import { LocalSockets } from './sockets/local-sockets';
import { SessionEnds } from './sockets/session-ends';
import { WsServer } from './sockets/ws-server';
import { GatewayStore } from './store/gateway-store';

/** The config slice the gateway reads. */
export type GatewayConfig = Pick<
  Config,
  'App' | 'Server' | 'Gateway' | 'Postgresql' | 'Redis' | 'Token' | 'Kafka'
>;

export interface GatewayDeps {
  /** Port of the listener; default `Server.GatewayPort` (0: a free port). */
  port?: number;
  /**
   * A database, cache and bus owned by the caller (a one-process runner shares its
   * embedded ones between the roles); the gateway uses them but does not close them.
   * Default: its own, from config.
   */
  db?: Database;
  cache?: CacheAdapters;
  bus?: Bus;
  /**
   * Message ids; a one-process runner shares one generator with the api, whose ids come
   * from the same `App.MachineID`. Default: its own.
   */
  ids?: SnowflakeGenerator;
  /**
   * The process's one ops server, when the gateway runs beside other roles (the standalone
   * server): its figures go there and it starts no ops server of its own.
   */
  ops?: OpsHost;
}

export interface RunningGateway {
  port: number;
  /** Port of its ops server (`Server.GatewayOpsPort`); none when `deps.ops` hosts its figures. */
  opsPort?: number;
  /** This node's id (`gw<App.MachineID>`): its presence entries and its delivery topic. */
  nodeId: string;
  stop(): Promise<void>;
}

/**
 * Safety net of the membership cache: lists are reloaded at least this often even if an
 * invalidation from `chat.events` were lost.
 */
const MEMBERSHIP_TTL_MS = 5 * 60 * 1000;
/**
 * How long this process keeps a member list before reading it from the shared cache again.
 * Every check compares the list's membership version with the shared one (one small read,
 * sharing the round trip of the send's other Redis reads), so a change is seen at once;
 * this only bounds the memory of relations no longer used.
 */
const LOCAL_MEMBERSHIP_TTL_MS = 30 * 1000;

/**
 * The bus as every app configures it, except for the consumers' timing:
 * - a Kafka fetch waits at most a second for records: stopping a consumer waits for its
 *   fetch in progress, so this bounds shutdown, and pushes are not delayed by it (a fetch
 *   returns as soon as a record is there);
 * - a member's session lasts 10 s (heartbeats every second), as the workers' do. After the
 *   broker restarts, kafkajs rejoins as a new member and the group waits for the old one's
 *   session to expire before it hands out the partitions again: with kafkajs's 30 s default,
 *   pushes stopped for half a minute after every broker restart.
 */
function gatewayBusConfig(config: GatewayConfig): BusConfig {
  const cfg = busConfig(config, 'gateway');
  return cfg.kind === 'kafka'
    ? {
        ...cfg,
        consumer: {
          ...cfg.consumer,
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 1_000,
          maxWaitTimeMs: 1000,
        },
      }
    : cfg;
}

/** Node id of a gateway: one per `App.MachineID`, which is unique per running gateway. */
export function gatewayNodeId(machineId: number): string {
  return `gw${machineId}`;
}

/**
 * Composition root of the gateway (docs/development.md §3): adapters, then presence, consumers and the
 * listener last. `stop` undoes it in reverse (docs/development.md §4).
 */
export async function start(
  config: GatewayConfig,
  log: Logger,
  deps: GatewayDeps = {},
): Promise<RunningGateway> {
  const port = deps.port ?? config.Server.GatewayPort;
  const nodeId = gatewayNodeId(config.App.MachineID);
  const startedAt = Date.now();
  const started: Closable[] = [];
  let stopping = false;
  try {
    // Steps of what the gateway owns; shared dependencies are closed by their owner.
    const owned = (step: Closable, isShared: boolean): Closable[] => {
      if (!isShared) started.push(step);
      return isShared ? [] : [step];
    };
    const db =
      deps.db ??
      (await openDatabase(
        { url: requireDatabaseUrl(config), poolMax: config.Postgresql.PoolMax },
        log,
      ));
    const databaseSteps = owned({ name: 'database', close: () => db.close() }, !!deps.db);
    const cache = deps.cache ?? createCacheAdapters(cacheConfig(config), log);
    const cacheSteps = owned({ name: 'cache', close: () => cache.close() }, !!deps.cache);
    const bus = deps.bus ?? createBus(gatewayBusConfig(config), log);
    const busSteps = owned({ name: 'bus', close: () => bus.close() }, !!deps.bus);
    await bus.ensureTopics([TOPICS.messages, TOPICS.reads, TOPICS.events, pushTopic(nodeId)]);

    const store = new GatewayStore(db);
    // Lists kept in memory (no set lookup in Redis or query per message, issue 10), each
    // checked against the relation's membership version in Redis on every use: the api
    // moves it before answering a membership change, so a member who left is refused at
    // once, before the `chat.events` record that clears this front arrives.
    const membership = new LocalMembershipCache(cache.membership({ ttlMs: MEMBERSHIP_TTL_MS }), {
      ttlMs: LOCAL_MEMBERSHIP_TTL_MS,
    });
    const tokens = new TokenService({
      key: config.Token.Key,
      userTokenTtlMs: config.Token.UserTokenDuration,
      accountTokenTtlMs: config.Token.AccountTokenDuration,
      headerName: config.Token.AuthorizationKey,
      scheme: config.Token.AuthorizationType,
    });
    const sockets = new LocalSockets();
    const inFlight = new InFlight();
    // Ops (issue 7): /healthz, /readyz (database, Redis, Kafka) and /metrics on the ops
    // port (Server.GatewayOpsPort). The public port has a plain /healthz only (issue 11).
    const registry = deps.ops?.registry('gateway') ?? createMetricsRegistry('gateway');
    const metrics = new GatewayMetrics(registry, sockets);
    const probes = new DependencyProbes({
      database: db.orm,
      redisUrl: config.Redis.Url,
      bus: gatewayBusConfig(config),
    });
    const probesStep: Closable = { name: 'dependency probes', close: () => probes.close() };
    started.push(probesStep);
    const ops = new OpsEndpoints(registry, probes.checks);
    const isStopping = () => stopping;

    const announcer = new PresenceAnnouncer({
      presence: cache.presence,
      bus,
      sockets,
      nodeId,
      ttlMs: config.Gateway.PresenceTtl,
      log: log.child({ component: 'presence' }),
    });
    await announcer.start();
    const presenceStep: Closable = { name: 'presence', close: () => announcer.stop() };
    started.push(presenceStep);

    // Limits per account and per client address (docs/limits.md), counted across gateways.
    const admission = new ConnectionAdmission(
      {
        counts: cache.connections,
        nodeId,
        isStopping,
        onRefused: (limit) => metrics.refused(limit),
        log: log.child({ component: 'limits' }),
      },
      {
        perAccount: config.Gateway.MaxConnectionsPerAccount,
        perAddress: config.Gateway.MaxConnectionsPerAddress,
        ttlMs: config.Gateway.PresenceTtl,
      },
    );
    await admission.start();
    const admissionStep: Closable = { name: 'connection limits', close: () => admission.stop() };
    started.push(admissionStep);
    const sendRate = new SendRate(cache.limiter, config.Gateway.SendRate, () =>
      metrics.refused('send_rate'),
    );

    const gate = new PipelineGate({
      bus,
      maxBacklog: config.Gateway.MaxPipelineBacklog,
      pollMs: config.Gateway.BacklogPollInterval,
      log: log.child({ component: 'backpressure' }),
    });
    await gate.start();
    const gateStep: Closable = { name: 'backpressure', close: async () => gate.stop() };
    started.push(gateStep);

    // Send dedup within Gateway.SendDedupWindow (docs/send-msg.md): claims in the cache, and
    // while they may have been lost (Redis flushed, or empty at start), Postgres behind them.
    const windowMs = config.Gateway.SendDedupWindow;
    const dedupEpoch = new DedupEpoch({
      cache: cache.cache,
      windowMs,
      sentSince: async (sinceMs) =>
        (await store.anySendSince(sinceMs)) ||
        (await bus.backlog(GROUPS.persister, [TOPICS.messages])) > 0,
      log: log.child({ component: 'send-dedup' }),
    });
    await dedupEpoch.start();
    const dedup = new SendDedup(
      { cache: cache.cache, epoch: dedupEpoch, sent: new SentLookup(store) },
      { ...DEFAULT_SEND_DEDUP, windowMs },
    );

    // Token epochs from the shared cache (the api moves them as sessions end), so a login
    // costs no database query; revocations reach this node on `chat.events` (below).
    const tokenEpochs = cache.tokenEpochs({ ttlMs: TOKEN_EPOCH_CACHE_TTL_MS });
    const authenticator = new Authenticator(tokens, {
      accountTokens: (id) => tokenEpochs.get('account', id, () => store.accountTokenEpoch(id)),
    });
    const ends = new SessionEnds(
      sockets,
      { rememberMs: TOKEN_EPOCH_CACHE_TTL_MS },
      log.child({ component: 'sessions' }),
    );
    const endsStep: Closable = { name: 'session ends', close: async () => ends.clear() };
    started.push(endsStep);
    const session = new Session({
      authenticator,
      announcer,
      sockets,
      ends,
      admission,
      track: (work) => inFlight.track(work),
      isStopping,
      log,
    });
    const dispatcher = new Dispatcher({
      session,
      sendMessage: new SendMessageHandler({
        bus,
        membership,
        store,
        dedup,
        gate,
        sendRate,
        ids: deps.ids ?? new SnowflakeGenerator({ nodeId: config.App.MachineID }),
        nodeId,
        log,
      }),
      readMessage: new ReadMessageHandler({ bus, membership, store, nodeId }),
      inFlight,
      maxFrameBytes: config.Gateway.MaxFrameBytes,
      isStopping,
      metrics,
      log,
    });

    const events = new EventsConsumer(membership, ends, log.child({ component: 'events' }));
    const delivery = new DeliveryConsumer(sockets, startedAt, log.child({ component: 'delivery' }));
    const subscriptions: Subscription[] = [];
    // Stopped together: each stop waits for its consumer's fetch in progress to return.
    const consumers: Closable = {
      name: 'consumers',
      close: async () => void (await Promise.all(subscriptions.map((sub) => sub.stop()))),
    };
    started.push(consumers);
    subscriptions.push(
      await bus.subscribe(
        `gateway.${nodeId}.events`,
        [TOPICS.events],
        (records) => events.handle(records),
        { fromBeginning: false },
      ),
    );
    subscriptions.push(
      await bus.subscribe(
        `gateway.${nodeId}`,
        [pushTopic(nodeId)],
        (records) => delivery.handle(records),
        { fromBeginning: false },
      ),
    );

    const server = new WsServer(
      {
        authTimeoutMs: config.Gateway.AuthTimeout,
        pingIntervalMs: config.Gateway.PingInterval,
        idleTimeoutMs: config.Gateway.IdleTimeout,
        maxFrameBytes: config.Gateway.MaxFrameBytes,
        maxBufferedBytes: config.Gateway.MaxBufferedBytes,
        framesPerSecond: config.Gateway.FramesPerSecond,
        authorizationHeader: config.Token.AuthorizationKey,
        trustProxy: compileTrustProxy(config.Server.TrustProxy),
      },
      { dispatcher, session, sockets, admission, tokens, nodeId, isStopping, metrics, log },
    );
    const app: Closable = { name: 'uws app', close: async () => server.close() };
    started.push(app);
    // Just before the listener: a port already taken stops the start before it serves.
    const opsServer = deps.ops
      ? undefined
      : await startOpsServer(ops, {
          host: config.Server.Host,
          port: config.Server.GatewayOpsPort,
          log,
        });
    const opsSteps = owned(
      { name: 'ops server', close: async () => opsServer?.close() },
      !opsServer,
    );
    const actualPort = await server.listen(config.Server.Host, port);
    log.info({ port: actualPort, nodeId }, 'gateway started');

    let stopped: Promise<void> | undefined;
    return {
      port: actualPort,
      opsPort: opsServer?.port,
      nodeId,
      // docs/development.md §4: stop accepting, let taken requests get their acks, close the sockets with
      // 1001, drop this node's presence so nothing is routed here, then the rest.
      stop: () =>
        (stopped ??= (async () => {
          stopping = true;
          ops.markStopping();
          await closeInOrder(log, [
            { name: 'listener', close: async () => server.stopListening() },
            {
              name: 'in-flight requests',
              close: async () => {
                const drained = await inFlight.drained(config.Server.ShutdownTimeout / 2);
                if (!drained)
                  log.warn({ left: inFlight.size }, 'shutdown: requests still in flight');
              },
            },
            {
              name: 'sockets',
              close: async () => server.closeSockets(CLOSE_CODES.goingAway, 'server going away'),
            },
            endsStep,
            presenceStep,
            admissionStep,
            gateStep,
            consumers,
            app,
            ...opsSteps,
            probesStep,
            ...busSteps,
            ...cacheSteps,
            ...databaseSteps,
          ]);
        })()),
    };
  } catch (err) {
    stopping = true;
    await closeInOrder(log, started.reverse());
    throw err;
  }
}
