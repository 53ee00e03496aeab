import type { Config } from '@chat/config';
import type { Logger } from '@chat/logger';
import { createMailer } from '@chat/mail';
import {
  mailConfig,
  registerQueueDepth,
  roleOps,
  startRole,
  type OpsHost,
  type SharedPorts,
} from '@chat/runtime';
import { Counter } from 'prom-client';
import { sendEmailHandler } from './email/send-email.handler';

/** The config slice the mailer reads. */
export type MailerConfig = Pick<Config, 'App' | 'Server' | 'Redis' | 'Email' | 'Auto'>;

/**
 * An email queue owned by the caller (the standalone runner shares the api's in-process
 * queue); the mailer works it but does not close it. Default: its own, from config.
 */
export interface MailerDeps extends Pick<SharedPorts, 'emailQueue'> {
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

/** Composition root of the mailer (docs/development.md §3): mailer, queue, then the worker last. */
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

    // Ops: /healthz, /readyz (Redis), /metrics with the queue's depth and sends.
    const ops = roleOps(kit, {
      host: deps.ops,
      services: { redis: kit.isOwn(queue) && config.Redis.Url ? queue : undefined },
      listen: { host: config.Server.Host, port: config.Server.MailerOpsPort },
    });
    const { metrics } = ops;
    registerQueueDepth(metrics, queue);
    const attempts = new Counter({
      name: 'chat_mailer_send_attempts_total',
      help: 'Attempts at sending an email job, by outcome (sent, failed).',
      labelNames: ['outcome'],
      registers: [metrics],
    });
    // Both series exist from the start, so a rate over them is defined before any send.
    for (const outcome of ['sent', 'failed']) attempts.inc({ outcome }, 0);
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
    log.info({ queue: queue.name, concurrency: SEND_CONCURRENCY }, 'mailer started');

    // Reverse of start (docs/development.md §4): the worker finishes its mails before the mailer closes.
    return { stop: kit.stopper(() => ops.endpoints.markStopping()) };
  });
}
