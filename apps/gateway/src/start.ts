import { TOKEN_EPOCH_CACHE_TTL_MS, TokenService } from '@chat/auth';
import type { Subscription } from '@chat/bus';
import { LocalMembershipCache } from '@chat/cache';
import { compileTrustProxy, type Config } from '@chat/config';
import {
  PgAccountRepository,
  PgBlockRepository,
  PgMembershipRepository,
  PgMessageLookupRepository,
  PgPresenceSettingsRepository,
} from '@chat/db';
import { SnowflakeGenerator } from '@chat/ids';
import type { Logger } from '@chat/logger';
import {
  CLOSE_CODES,
  GROUPS,
  TOPICS,
  parseRecord,
  presenceChangedSchema,
  pushTopic,
  type PresenceChangedRecord,
} from '@chat/protocol';
import {
  consumerBusConfig,
  roleOps,
  startRole,
  tokenSettings,
  type OpsHost,
  type SharedPorts,
} from '@chat/runtime';
import { DeliveryConsumer } from './delivery/delivery-consumer';
import { GatewayMetrics } from './ops/gateway-metrics';
import { EventsConsumer } from './delivery/events-consumer';
import { PresenceAnnouncer } from './presence/presence-announcer';
import { PresenceWatch } from './presence/presence-watch';
import { Authenticator } from './requests/authenticator';
import { Dispatcher } from './requests/dispatcher';
import { InFlight } from './requests/in-flight';
import { PipelineGate } from './requests/pipeline-gate';
import { ReadMessageHandler } from './requests/read-msg.handler';
import { DedupEpoch } from './requests/dedup-epoch';
import { DEFAULT_SEND_DEDUP, SendDedup } from './requests/send-dedup';
import { SendMessageHandler } from './requests/send-msg.handler';
import { SendRestrictionCache } from './requests/send-restrictions';
import { SendRate } from './requests/send-rate';
import { SentLookup } from './requests/sent-lookup';
import { Session } from './requests/session';
import { TypingHandler } from './requests/typing.handler';
import { ConnectionAdmission } from './sockets/connection-admission';
import { LocalSockets } from './sockets/local-sockets';
import { SessionEnds } from './sockets/session-ends';
import { requireNativeUws } from './sockets/uws-build';
import { WsServer } from './sockets/ws-server';
import { GatewayStore } from './store/gateway-store';

/** The config slice the gateway reads. */
export type GatewayConfig = Pick<
  Config,
  'App' | 'Server' | 'Gateway' | 'Postgresql' | 'Redis' | 'Token' | 'Kafka'
>;

/**
 * A database, cache and bus owned by the caller (a one-process runner shares its embedded
 * ones between the roles); the gateway uses them but does not close them. Default: its own,
 * from config.
 */
export interface GatewayDeps extends Pick<SharedPorts, 'db' | 'cache' | 'bus'> {
  /** Port of the listener; default `Server.GatewayPort` (0: a free port). */
  port?: number;
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
  // Before anything connects: on uWebSockets.js's JavaScript fallback the gateway would
  // answer /healthz and die at its first WebSocket (docs/operations.md, uWebSockets.js build).
  const uws = requireNativeUws();
  const port = deps.port ?? config.Server.GatewayPort;
  const nodeId = gatewayNodeId(config.App.MachineID);
  const startedAt = Date.now();
  let stopping = false;
  return startRole('gateway', log, async (kit) => {
    const busCfg = consumerBusConfig(config, 'gateway');
    const db = await kit.database(config, deps.db);
    const cache = await kit.cache(config, deps.cache);
    const bus = await kit.bus(busCfg, deps.bus);
    await bus.ensureTopics([
      TOPICS.messages,
      TOPICS.reads,
      TOPICS.events,
      TOPICS.presence,
      pushTopic(nodeId),
    ]);

    const store = new GatewayStore({
      accounts: new PgAccountRepository(db.em),
      memberships: new PgMembershipRepository(db.em),
      lookups: new PgMessageLookupRepository(db.em),
      presenceSettings: new PgPresenceSettingsRepository(db.em),
      blocks: new PgBlockRepository(db.em),
    });
    // Blocks and mutes, read again only when the relation's membership version moves.
    const restrictions = new SendRestrictionCache((r) => store.sendRestrictions(r), {
      ttlMs: LOCAL_MEMBERSHIP_TTL_MS,
    });
    // Lists kept in memory (no set lookup in Redis or query per message, issue 10), each
    // checked against the relation's membership version in Redis on every use: the api
    // moves it before answering a membership change, so a member who left is refused at
    // once, before the `chat.events` record that clears this front arrives.
    const membership = new LocalMembershipCache(cache.membership({ ttlMs: MEMBERSHIP_TTL_MS }), {
      ttlMs: LOCAL_MEMBERSHIP_TTL_MS,
    });
    const tokens = new TokenService(tokenSettings(config));
    const sockets = new LocalSockets();
    const inFlight = new InFlight();
    // Ops: /healthz, /readyz (database, Redis, Kafka) and /metrics on the ops port
    // (Server.GatewayOpsPort). The public port has a plain /healthz only.
    const ops = roleOps(kit, {
      host: deps.ops,
      services: {
        database: db,
        redis: config.Redis.Url ? cache : undefined,
        kafka: busCfg.kind === 'kafka' ? bus : undefined,
      },
      listen: { host: config.Server.Host, port: config.Server.GatewayOpsPort },
    });
    const metrics = new GatewayMetrics(ops.metrics, sockets);
    const isStopping = () => stopping;
    // Their places in the stop order (reverse of start): after the sessions, presence,
    // limits and the gate below stopped, the consumers stop, then the uWS app closes, and
    // the ops server, answering "stopping" all along, goes just before the adapters.
    const opsPlace = kit.reserve('ops server');
    const appPlace = kit.reserve('uws app');
    const consumersPlace = kit.reserve('consumers');

    // Presence subscriptions; also told by the announcer of accounts a crashed node left.
    const watch = new PresenceWatch({
      presence: cache.presence,
      cache: cache.cache,
      bus,
      store,
      log: log.child({ component: 'presence-watch' }),
    });
    const announcer = new PresenceAnnouncer({
      presence: cache.presence,
      bus,
      sockets,
      nodeId,
      ttlMs: config.Gateway.PresenceTtl,
      watch,
      log: log.child({ component: 'presence' }),
    });
    await announcer.start();
    kit.add('presence', () => announcer.stop());

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
    kit.add('connection limits', () => admission.stop());
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
    kit.add('backpressure', () => gate.stop());

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
    kit.add('session ends', () => ends.clear());
    const session = new Session({
      authenticator,
      announcer,
      watch,
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
        restrictions,
        ids: deps.ids ?? new SnowflakeGenerator({ nodeId: config.App.MachineID }),
        nodeId,
        log,
      }),
      readMessage: new ReadMessageHandler({ bus, membership, store, nodeId }),
      typing: new TypingHandler({
        bus,
        membership,
        store,
        presence: cache.presence,
        sockets,
        nodeId,
      }),
      presence: watch,
      inFlight,
      maxFrameBytes: config.Gateway.MaxFrameBytes,
      isStopping,
      metrics,
      log,
    });

    const events = new EventsConsumer(membership, ends, watch, log.child({ component: 'events' }));
    const delivery = new DeliveryConsumer(sockets, startedAt, log.child({ component: 'delivery' }));
    const subscriptions: Subscription[] = [];
    // Stopped together: each stop waits for its consumer's fetch in progress to return.
    consumersPlace(async () => void (await Promise.all(subscriptions.map((sub) => sub.stop()))));
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

    const presenceLog = log.child({ component: 'presence-watch' });
    subscriptions.push(
      await bus.subscribe(
        `gateway.${nodeId}.presence`,
        [TOPICS.presence],
        async (records) => {
          const changes: PresenceChangedRecord[] = [];
          for (const record of records) {
            const parsed = parseRecord(presenceChangedSchema, record.value);
            if (parsed.ok) changes.push(parsed.value);
            else presenceLog.warn({ err: parsed.error }, 'unreadable presence record skipped');
          }
          // Best effort, like every push: a failed read must not hold the topic back.
          await watch.handle(changes).catch((err: unknown) => {
            presenceLog.warn({ err }, 'presence pushes failed');
          });
        },
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
    appPlace(() => server.close());
    // Just before the listener: a port already taken stops the start before it serves.
    const opsPort = await ops.serve(opsPlace);
    const actualPort = await server.listen(config.Server.Host, port);
    // docs/development.md §4: stop accepting, let taken requests get their acks, close the
    // sockets with 1001; then (the steps above, in reverse) drop this node's presence so
    // nothing is routed here, and the rest.
    kit.add('sockets', () => server.closeSockets(CLOSE_CODES.goingAway, 'server going away'));
    kit.add('in-flight requests', async () => {
      const drained = await inFlight.drained(config.Server.ShutdownTimeout / 2);
      if (!drained) log.warn({ left: inFlight.size }, 'shutdown: requests still in flight');
    });
    kit.add('listener', () => server.stopListening());
    log.info({ port: actualPort, nodeId, uws: uws.binary }, 'gateway started');

    return {
      port: actualPort,
      opsPort,
      nodeId,
      stop: kit.stopper(() => {
        stopping = true;
        ops.endpoints.markStopping();
      }),
    };
  }).catch((err: unknown) => {
    stopping = true;
    throw err;
  });
}
