import path from 'node:path';
import { createBus, type Bus } from '@chat/bus';
import { createCacheAdapters } from '@chat/cache';
import type { Config } from '@chat/config';
import { createDatabase, migrate } from '@chat/db';
import { SnowflakeGenerator } from '@chat/ids';
import { createJobQueue, retryPolicyFromConfig } from '@chat/jobs';
import type { Logger } from '@chat/logger';
import { GROUPS, QUEUES, TOPICS, type EmailJob, type PushJob } from '@chat/protocol';
import {
  dependencyChecks,
  OpsEndpoints,
  SharedOps,
  cacheConfig,
  consumerBusConfig,
  databaseConfig,
  jobQueueConfig,
  startOpsServer,
  startRole,
} from '@chat/runtime';
// The one-process server composes the roles through their packages' public entries
// (docs/architecture.md, standalone): the same `start` each role's main runs, given shared adapters.
import { start as startApi } from '@chat/api';
import { SOCKET_IO_PATH, start as startGateway } from '@chat/gateway';
import { start as startMailer } from '@chat/mailer';
import { start as startNotifier } from '@chat/notifier';
import { start as startPersister } from '@chat/persister';
import { serveDevMailbox } from './dev-mailbox-page';
import { DEFAULT_WEB_DIR, serveWebApp } from './web-app';
import { wsUpgradeProxy } from './ws-upgrade-proxy';

export interface StandaloneDeps {
  /** Port of the one listener (HTTP api and `/ws`); default `Server.ApiPort` (0: a free port). */
  port?: number;
  /** The web app's build, served at `/` (docs/web.md); default apps/web/dist. */
  webDir?: string;
}

export interface RunningStandalone {
  port: number;
  /** Port of the one ops server (`Server.ApiOpsPort`): /healthz, /readyz, /metrics. */
  opsPort: number;
  stop(): Promise<void>;
}

/** Records the in-process bus keeps per partition once every group handled them. */
const STANDALONE_RETAINED_RECORDS = 256;

/** The WebSocket path of docs/protocol.md §1, served on the api's port. */
const WS_PATH = '/ws';
const LOOPBACK = '127.0.0.1';

/**
 * The roles other than the api listen on loopback only, on free ports: clients reach the
 * whole server through the api's port, whose `/ws` upgrades go to the gateway. None of
 * them starts an ops server (the process has one, see `start`); their ops ports are 0 all
 * the same, so nothing here could take a port the operator configured for something else.
 * This is the development server: without `Email.SmtpUrl` the mailer uses the dev mailbox.
 */
function internalConfig(config: Config): Config {
  return {
    ...config,
    Server: {
      ...config.Server,
      // The api's front door hands every WebSocket to the gateway over loopback.
      TrustProxy:
        config.Server.TrustProxy.trim() === 'none'
          ? 'loopback'
          : `loopback, ${config.Server.TrustProxy}`,
      Host: LOOPBACK,
      GatewayPort: 0,
      ApiOpsPort: 0,
      GatewayOpsPort: 0,
      PersisterOpsPort: 0,
      NotifierOpsPort: 0,
      MailerOpsPort: 0,
    },
    Email: { ...config.Email, DevMailbox: true },
    Push: { ...config.Push, DevSink: true },
  };
}

/**
 * Composition root of the standalone server (docs/architecture.md, standalone; docs/development.md §3): every
 * role in one process, sharing one adapter per port, each chosen by config (the embedded
 * one unless its connection key is set; one log line per port names it). The database is
 * migrated at start. Roles start consumers first and listeners last; one failure stops
 * everything started so far and rejects, so the process exits non-zero.
 */
export async function start(
  config: Config,
  log: Logger,
  deps: StandaloneDeps = {},
): Promise<RunningStandalone> {
  const role = (name: string) => log.child({ role: name });
  const inside = internalConfig(config);
  return startRole('standalone', log, async (kit) => {
    const db = await kit.port('database', undefined, () =>
      createDatabase(databaseConfig(config), log),
    );
    await migrate(db.orm, log);
    const cache = await kit.port('cache', undefined, () =>
      createCacheAdapters(cacheConfig(config), log),
    );
    const busCfg = consumerBusConfig(config, 'standalone');
    // The in-process bus holds records in memory only: a message is acked once the
    // persister committed it to the database, not when it is in memory (issue 10).
    const bus: Bus = await kit.port('bus', undefined, () =>
      createBus(
        busCfg.kind === 'memory'
          ? {
              ...busCfg,
              durableAfter: {
                [TOPICS.messages]: GROUPS.persister,
                [TOPICS.reads]: GROUPS.persister,
              },
              // Every group subscribes at start, so handled records need not be kept for a
              // late one: memory stays flat under load instead of filling a large history.
              retainedRecordsPerPartition: STANDALONE_RETAINED_RECORDS,
            }
          : busCfg,
        log,
      ),
    );
    const emailQueue = await kit.port('email queue', undefined, () =>
      createJobQueue<EmailJob>(
        jobQueueConfig(config),
        { name: QUEUES.email, retry: retryPolicyFromConfig(config.Auto.Retry) },
        log,
      ),
    );
    // Device notifications (docs/push-notifications.md): providers when configured, else the
    // dev sink under App.DataDir/push; the notifier queues them, the mailer sends them.
    const pushQueue = await kit.port('push queue', undefined, () =>
      createJobQueue<PushJob>(
        jobQueueConfig(config),
        { name: QUEUES.push, retry: retryPolicyFromConfig(config.Auto.Retry) },
        log,
      ),
    );
    // The api and the gateway both assign message ids from App.MachineID: one generator.
    const ids = new SnowflakeGenerator({ nodeId: config.App.MachineID });
    // One ops server for the process: the roles put their figures here, and /readyz asks
    // the adapters they share.
    const shared = new SharedOps('standalone');
    const ops = new OpsEndpoints(
      shared,
      dependencyChecks({
        database: db,
        redis: config.Redis.Url ? cache : undefined,
        kafka: busCfg.kind === 'kafka' ? bus : undefined,
      }),
    );
    // Started last (below) but closed here, once the roles have stopped: until then it
    // answers /readyz with "stopping" (see the stop below).
    const opsPlace = kit.reserve('ops server');
    const mailboxDir = config.Email.SmtpUrl ? undefined : path.join(config.App.DataDir, 'mailbox');
    if (mailboxDir) {
      log.info(
        { dir: mailboxDir, page: '/dev/mailbox' },
        'Email.SmtpUrl is not set: mails go to the dev mailbox (written there, logged and listed at /dev/mailbox)',
      );
    }
    const webDir = deps.webDir ?? DEFAULT_WEB_DIR;

    const persister = await startPersister(inside, role('persister'), { bus, db, ops: shared });
    kit.add('persister', () => persister.stop());
    const notifier = await startNotifier(inside, role('notifier'), {
      bus,
      cache,
      db,
      pushQueue,
      ops: shared,
    });
    kit.add('notifier', () => notifier.stop());
    const mailer = await startMailer(inside, role('mailer'), {
      emailQueue,
      pushQueue,
      db,
      ops: shared,
    });
    kit.add('mailer', () => mailer.stop());
    // Records of the in-process bus live in memory only: before the workers stop, they
    // handle what was acknowledged (a crash loses it; docs/architecture.md guarantees need
    // Kafka, for which this step finds nothing to wait for).
    const drainMs = Math.floor(config.Server.ShutdownTimeout / 3);
    kit.add('bus drain', async () => {
      if (!(await bus.caughtUp(drainMs))) {
        log.warn({ waitedMs: drainMs }, 'shutdown: the workers did not catch up with the bus');
      }
    });
    // Stopped after the gateway: the api's listener closes once no WebSocket is left on it.
    const apiPlace = kit.reserve('api');
    const gateway = await startGateway(inside, role('gateway'), {
      port: 0,
      db,
      cache,
      bus,
      ids,
      ops: shared,
    });
    kit.add('gateway', () => gateway.stop());
    const api = await startApi(config, role('api'), {
      port: deps.port ?? config.Server.ApiPort,
      db,
      cache,
      bus,
      emailQueue,
      ids,
      upgrade: wsUpgradeProxy(
        { paths: [WS_PATH, SOCKET_IO_PATH], host: LOOPBACK, port: gateway.port },
        log,
      ),
      // One process owns the database: its outbox relay needs no lock (and holds no
      // transaction while the in-process bus waits for the persister's commit).
      soleApi: true,
      ops: shared,
      http: (app) => {
        // Only without SMTP: codes then reach nobody's inbox, and the page is the way to them.
        if (mailboxDir) serveDevMailbox(app, mailboxDir);
        if (!serveWebApp(app, webDir)) {
          log.warn(
            { dir: webDir },
            'the web app is not built: / says how to build it (npx nx run web:bundle)',
          );
        }
      },
    });
    apiPlace(() => api.stop());
    // Last: it answers ready once every role serves.
    const opsServer = await startOpsServer(ops, {
      host: config.Server.Host,
      port: config.Server.ApiOpsPort,
      log,
    });
    opsPlace(() => opsServer.close());
    log.info(
      {
        port: api.port,
        web: '/',
        api: '/api',
        websocket: WS_PATH,
        socketIo: SOCKET_IO_PATH,
        opsPort: opsServer.port,
        dataDir: config.App.DataDir,
      },
      'standalone server listening',
    );

    // docs/development.md §4, in reverse of start: the ops server answers "stopping", the gateway closes
    // sockets (1001) and drops presence, the api finishes its requests, the bus drains into
    // the workers, the workers commit and finish their mail, then the ops server and the
    // shared adapters close.
    return {
      port: api.port,
      opsPort: opsServer.port,
      stop: kit.stopper(() => ops.markStopping()),
    };
  });
}
