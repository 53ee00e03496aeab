import path from 'node:path';
import { ConfigError, type Config } from '@chat/config';
import { createJobQueue, retryPolicyFromConfig, type JobQueue } from '@chat/jobs';
import type { Logger } from '@chat/logger';
import { createMailer, type MailConfig } from '@chat/mail';
import { QUEUES, type EmailJob } from '@chat/protocol';
import {
  DependencyProbes,
  OpsEndpoints,
  closeInOrder,
  stopOnce,
  createMetricsRegistry,
  jobQueueConfig,
  registerQueueDepth,
  startOpsServer,
  type Closable,
  type OpsHost,
} from '@chat/runtime';
import { Counter } from 'prom-client';
import { sendEmailHandler } from './email/send-email.handler';

/** The config slice the mailer reads. */
export type MailerConfig = Pick<Config, 'App' | 'Server' | 'Redis' | 'Email' | 'Auto'>;

export interface MailerDeps {
  /**
   * A queue owned by the caller (the standalone runner shares the api's in-process queue);
   * the mailer works it but does not close it. Default: its own, from config.
   */
  queue?: JobQueue<EmailJob>;
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

/**
 * SMTP when `Email.SmtpUrl` is set, else the dev mailbox under `App.DataDir/mailbox`, but
 * only where `Email.DevMailbox` allows it: a deployed mailer without SMTP would leave every
 * verification code in a file and a log line instead of sending it, so it refuses to start.
 * The standalone server (`npm start`) allows the dev mailbox by itself.
 */
export function mailConfig(config: Pick<Config, 'App' | 'Email'>): MailConfig {
  const { SmtpUrl, DevMailbox, From } = config.Email;
  if (SmtpUrl) return { kind: 'smtp', url: SmtpUrl, from: From };
  if (!DevMailbox) {
    throw new ConfigError([
      'Email.SmtpUrl: not set, and Email.DevMailbox is false: the mailer has nowhere to send mail. ' +
        'Set Email.SmtpUrl in config/app/private.yml or SMTP_URL (smtp://user:password@host:587), ' +
        'or, for development only, Email.DevMailbox: true or EMAIL_DEV_MAILBOX=true to write each ' +
        'mail under App.DataDir/mailbox and log it.',
    ]);
  }
  return { kind: 'dev', dir: path.join(config.App.DataDir, 'mailbox'), from: From };
}

/** Composition root of the mailer (docs/development.md §3): mailer, queue, then the worker last. */
export async function start(
  config: MailerConfig,
  log: Logger,
  deps: MailerDeps = {},
): Promise<RunningMailer> {
  const started: Closable[] = [];
  try {
    const mailer = createMailer(mailConfig(config), log);
    started.push({ name: 'mailer', close: () => mailer.close() });
    let queue = deps.queue;
    if (!queue) {
      const own = createJobQueue<EmailJob>(
        jobQueueConfig(config),
        { name: QUEUES.email, retry: retryPolicyFromConfig(config.Auto.Retry) },
        log,
      );
      started.push({ name: 'job queue', close: () => own.close() });
      queue = own;
      if (!config.Redis.Url) {
        log.warn('Redis.Url is not set: this mailer only sees jobs added in its own process');
      }
    }

    // Ops (issue 7): /healthz, /readyz (Redis), /metrics with the queue's depth and sends.
    const metrics = deps.ops?.registry('mailer') ?? createMetricsRegistry('mailer');
    registerQueueDepth(metrics, queue);
    const attempts = new Counter({
      name: 'chat_mailer_send_attempts_total',
      help: 'Attempts at sending an email job, by outcome (sent, failed).',
      labelNames: ['outcome'],
      registers: [metrics],
    });
    // Both series exist from the start, so a rate over them is defined before any send.
    for (const outcome of ['sent', 'failed']) attempts.inc({ outcome }, 0);
    const probes = new DependencyProbes({ redisUrl: deps.queue ? undefined : config.Redis.Url });
    started.push({ name: 'dependency probes', close: () => probes.close() });
    const ops = new OpsEndpoints(metrics, probes.checks);
    if (!deps.ops) {
      const opsServer = await startOpsServer(ops, {
        host: config.Server.Host,
        port: config.Server.MailerOpsPort,
        log,
      });
      started.push({ name: 'ops server', close: () => opsServer.close() });
    }

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
    started.push({ name: 'job worker', close: () => worker.close() });
    log.info({ queue: queue.name, concurrency: SEND_CONCURRENCY }, 'mailer started');

    // Reverse of start (docs/development.md §4): the worker finishes its mails before the mailer closes.
    return {
      stop: stopOnce(log, started, () => ops.markStopping()),
    };
  } catch (err) {
    await closeInOrder(log, started.reverse());
    throw err;
  }
}
