import type { Config } from '@chat/config';
import { ENTRY_KEYS } from '@chat/cache';
import { PgPushDeviceRepository, ReceiverRepository } from '@chat/db';
import { DeviceOwners } from '@chat/push';
import type { Logger } from '@chat/logger';
import { GROUPS, TOPICS } from '@chat/protocol';
import {
  DeadLetters,
  consumerBusConfig,
  instrumentBatches,
  pushConfig,
  roleOps,
  startRole,
  type OpsHost,
  type SharedPorts,
} from '@chat/runtime';
import { Notifier } from './notifier';
import { EventsPlanner } from './plans/events.planner';
import { ReadsPlanner } from './plans/reads.planner';
import { StoredPlanner } from './plans/stored.planner';
import { Counter } from 'prom-client';
import { PushMarks } from './push-marks';

/** The config slice the notifier reads. */
export type NotifierConfig = Pick<
  Config,
  'App' | 'Server' | 'Postgresql' | 'Redis' | 'Kafka' | 'Push' | 'Auto'
>;

/**
 * A bus, cache and database owned by the caller (a one-process runner shares its in-process
 * ones between the roles, so presence written by its gateway is seen here); the notifier
 * uses them but does not close them. Default: its own, from config.
 */
export interface NotifierDeps extends Pick<SharedPorts, 'bus' | 'cache' | 'db' | 'pushQueue'> {
  /** The process's one ops server, when it runs beside other roles (the standalone server). */
  ops?: OpsHost;
}

export interface RunningNotifier {
  /** Stops consuming (the batch in hand finishes and commits), then closes the rest. */
  stop(): Promise<void>;
}

/** The notifier's own consumer group: it sees every record, independently of the persister. */
export const NOTIFIER_GROUP = GROUPS.notifier;
const TOPICS_CONSUMED = [TOPICS.stored, TOPICS.reads, TOPICS.events];

/**
 * Composition root of the notifier (docs/development.md §3): database (members, senders), cache
 * (presence, push marks), bus, then the consumer last, in group `notifier` on
 * `chat.stored`, `chat.reads` and `chat.events`. A group that never committed starts at the
 * end of the topics, like a gateway's delivery group: pushes are best effort (docs/protocol.md §5),
 * and a new deployment must not push the topics' whole retained history to whoever is online.
 * Once it has committed, the group resumes where it stopped, so a restart loses nothing.
 */
export async function start(
  config: NotifierConfig,
  log: Logger,
  deps: NotifierDeps = {},
): Promise<RunningNotifier> {
  return startRole('notifier', log, async (kit) => {
    const busCfg = consumerBusConfig(config, 'notifier');
    const db = await kit.database(config, deps.db);
    const cache = await kit.cache(config, deps.cache, 'only sees presence of its own process');
    const bus = await kit.bus(busCfg, deps.bus);
    await bus.ensureTopics([...TOPICS_CONSUMED, TOPICS.deadLetter]);

    // Ops: /healthz, /readyz (database, Redis, Kafka), /metrics with batch sizes and lag.
    const ops = roleOps(kit, {
      host: deps.ops,
      services: {
        database: db,
        redis: kit.isOwn(cache) && config.Redis.Url ? cache : undefined,
        kafka: kit.isOwn(bus) && busCfg.kind === 'kafka' ? bus : undefined,
      },
      lag: kit.isOwn(bus) ? { bus, group: NOTIFIER_GROUP, topics: TOPICS_CONSUMED } : undefined,
      listen: { host: config.Server.Host, port: config.Server.NotifierOpsPort },
    });
    await ops.serve();
    const { metrics } = ops;

    // Device notifications for members with no socket online, when a push adapter is
    // configured (docs/push-notifications.md); the mailer role sends them.
    const pushQueue =
      pushConfig(config).kind === 'none' ? undefined : await kit.pushQueue(config, deps.pushQueue);
    // Which offline members have a device, from the cache the api keeps right on every
    // registration (docs/push-notifications.md, The job path).
    const pushDevices = new PgPushDeviceRepository(db.em);
    const owners = pushQueue
      ? new DeviceOwners({
          store: cache.cache,
          keyOf: ENTRY_KEYS.pushDevices,
          load: (ids) => pushDevices.accountsWithDevices(ids),
        })
      : undefined;
    const pushJobs = pushQueue
      ? new Counter({
          name: 'chat_notifier_push_jobs_total',
          help: 'Messages with offline members, by outcome (queued; no_device: none of them has a registered device; failed: not queued).',
          labelNames: ['outcome'],
          registers: [metrics],
        })
      : undefined;
    for (const outcome of ['queued', 'no_device', 'failed']) pushJobs?.inc({ outcome }, 0);
    const receivers = new ReceiverRepository(db.em);
    const marks = new PushMarks(cache.cache);
    const notifier = new Notifier({
      planners: {
        [TOPICS.stored]: new StoredPlanner({
          receivers,
          marks,
          log: log.child({ component: 'stored' }),
        }),
        [TOPICS.reads]: new ReadsPlanner({
          receivers,
          marks,
          log: log.child({ component: 'reads' }),
        }),
        [TOPICS.events]: new EventsPlanner({ marks, log: log.child({ component: 'events' }) }),
      },
      presence: cache.presence,
      bus,
      pushQueue,
      owners,
      onPushJobs: ({ queued, noDevice, failed }) => {
        pushJobs?.inc({ outcome: 'queued' }, queued);
        pushJobs?.inc({ outcome: 'no_device' }, noDevice);
        pushJobs?.inc({ outcome: 'failed' }, failed);
      },
      deadLetters: new DeadLetters({ bus, group: NOTIFIER_GROUP, metrics, log }),
      log,
    });
    const subscription = await bus.subscribe(
      NOTIFIER_GROUP,
      TOPICS_CONSUMED,
      instrumentBatches(metrics, NOTIFIER_GROUP, (records) => notifier.handle(records)),
      // Partitions are routed side by side: their Redis reads pipeline together and their
      // delivery records share produce requests (issue 10).
      { fromBeginning: false, concurrency: config.Kafka.Partitions },
    );
    kit.add('consumer', () => subscription.stop());
    log.info(
      { group: NOTIFIER_GROUP, topics: TOPICS_CONSUMED, pushQueue: pushQueue?.name ?? null },
      'notifier started',
    );

    // Reverse of start (docs/development.md §4): the consumer commits its batch before the rest closes.
    return { stop: kit.stopper(() => ops.endpoints.markStopping()) };
  });
}
