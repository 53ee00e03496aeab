import type { Config } from '@chat/config';
import type { Logger } from '@chat/logger';
import { PgPushDeviceRepository, type Database } from '@chat/db';
import type { JobQueue } from '@chat/jobs';
import { createMailer } from '@chat/mail';
import type { PushJob } from '@chat/protocol';
import { DeviceOwners, createPushSender } from '@chat/push';
import { ENTRY_KEYS } from '@chat/cache';
import {
  mailConfig,
  pushConfig,
  registerQueueDepth,
  roleOps,
  startRole,
  type OpsHost,
  type SharedPorts,
} from '@chat/runtime';
import { Counter } from 'prom-client';
import { sendEmailHandler } from './email/send-email.handler';
import { sendPushHandler } from './push/send-push.handler';

/** The config slice the mailer reads. */
export type MailerConfig = Pick<
  Config,
  'App' | 'Server' | 'Redis' | 'Email' | 'Auto' | 'Push' | 'Postgresql'
>;

/**
 * An email queue owned by the caller (the standalone runner shares the api's in-process
 * queue); the mailer works it but does not close it. Default: its own, from config.
 */
export interface MailerDeps extends Pick<SharedPorts, 'emailQueue' | 'pushQueue' | 'db' | 'cache'> {
  /**
   * The process's one ops server, when the mailer runs beside other roles (the standalone
   * server): its figures go there and it starts no ops server of its own.
   */
  ops?: OpsHost;
}

export interface RunningMailer {
  /** Closes the worker (waiting for the mails being sent), then the queue and the mailer. */
  stop(): Promise<void>;
}

/**
 * Mails sent at once. Sending is network-bound and verification mails are small, so a few
 * in parallel keep a slow server from delaying everyone; SMTP servers rate-limit more.
 */
const SEND_CONCURRENCY = 4;

/** Device notifications sent at once: each is one HTTP request to a provider. */
const PUSH_CONCURRENCY = 8;

/**
 * Composition root of the mailer (docs/development.md §3): mailer, queue, then the worker last.
 * When a push adapter is configured (docs/push-notifications.md) it also works the `push`
 * queue: the database (devices), the push sender, the queue, then that worker.
 */
export async function start(
  config: MailerConfig,
  log: Logger,
  deps: MailerDeps = {},
): Promise<RunningMailer> {
  return startRole('mailer', log, async (kit) => {
    const mailer = createMailer(mailConfig(config), log);
    kit.add('mailer', () => mailer.close());
    const queue = await kit.emailQueue(
      config,
      deps.emailQueue,
      'only sees jobs added in its own process',
    );

    // Device notifications, when a push adapter is configured: the sender, the database
    // (devices), the `push` queue.
    const sender = createPushSender(pushConfig(config), log);
    let push: { db: Database; queue: JobQueue<PushJob> } | undefined;
    let owners: DeviceOwners | undefined;
    if (sender) {
      kit.add('push sender', () => sender.close());
      const db = await kit.database(config, deps.db);
      push = { db, queue: await kit.pushQueue(config, deps.pushQueue) };
      // The cache the notifier reads "has a device" from: shared, or Redis. An own
      // in-process one would be seen by nobody, so none then (a stale "yes" lapses).
      if (deps.cache || config.Redis.Url) {
        const cache = await kit.cache(config, deps.cache);
        owners = new DeviceOwners({
          store: cache.cache,
          keyOf: ENTRY_KEYS.pushDevices,
          load: (ids) => new PgPushDeviceRepository(db.em).accountsWithDevices(ids),
        });
      }
    }

    // Ops: /healthz, /readyz (Redis; the database when pushing), /metrics with the queues'
    // depth and sends.
    const ops = roleOps(kit, {
      host: deps.ops,
      services: {
        redis: kit.isOwn(queue) && config.Redis.Url ? queue : undefined,
        database: push && kit.isOwn(push.db) ? push.db : undefined,
      },
      listen: { host: config.Server.Host, port: config.Server.MailerOpsPort },
    });
    const { metrics } = ops;
    registerQueueDepth(metrics, push ? [queue, push.queue] : queue);
    const attempts = new Counter({
      name: 'chat_mailer_send_attempts_total',
      help: 'Attempts at sending an email job, by outcome (sent, failed).',
      labelNames: ['outcome'],
      registers: [metrics],
    });
    // Both series exist from the start, so a rate over them is defined before any send.
    for (const outcome of ['sent', 'failed']) attempts.inc({ outcome }, 0);
    const pushes = push
      ? new Counter({
          name: 'chat_mailer_push_outcomes_total',
          help: 'Device notifications by outcome (sent; dead: the provider called the device gone).',
          labelNames: ['outcome'],
          registers: [metrics],
        })
      : undefined;
    for (const outcome of ['sent', 'dead']) pushes?.inc({ outcome }, 0);
    await ops.serve();

    const send = sendEmailHandler(mailer, config.App.Name, log);
    const worker = queue.process(
      async (job) => {
        try {
          await send(job);
          attempts.inc({ outcome: 'sent' });
        } catch (err) {
          attempts.inc({ outcome: 'failed' });
          throw err;
        }
      },
      { concurrency: SEND_CONCURRENCY },
    );
    kit.add('job worker', () => worker.close());
    if (push && sender) {
      const pushWorker = push.queue.process(
        sendPushHandler({
          devices: new PgPushDeviceRepository(push.db.em),
          sender,
          queue: push.queue,
          appName: config.App.Name,
          mentionsBreakDnd: config.Push.MentionsBreakDoNotDisturb,
          owners,
          log,
          onOutcome: (outcome) => pushes?.inc({ outcome }),
        }),
        { concurrency: PUSH_CONCURRENCY },
      );
      kit.add('push worker', () => pushWorker.close());
    }
    log.info(
      {
        queue: queue.name,
        concurrency: SEND_CONCURRENCY,
        push: push
          ? { queue: push.queue.name, concurrency: PUSH_CONCURRENCY, platforms: sender?.platforms }
          : null,
      },
      'mailer started',
    );

    // Reverse of start (docs/development.md §4): the worker finishes its mails before the mailer closes.
    return { stop: kit.stopper(() => ops.endpoints.markStopping()) };
  });
}
