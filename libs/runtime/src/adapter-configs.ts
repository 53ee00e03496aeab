import path from 'node:path';
import type { TokenSettings } from '@chat/auth';
import type { BusConfig } from '@chat/bus';
import type { CacheConfig } from '@chat/cache';
import { ConfigError, type Config } from '@chat/config';
import { embeddedDatabaseDir, type DatabaseSelection } from '@chat/db';
import type { JobQueueConfig } from '@chat/jobs';
import type { MailConfig } from '@chat/mail';
import type { FcmServiceAccount, PushConfig } from '@chat/push';
import type { BlobStoreConfig } from '@chat/storage';

/**
 * The one mapping from configuration to each port's adapter config: a connection key that
 * is set selects the production adapter, an unset one the embedded adapter
 * (docs/architecture.md, ports and adapters).
 */
export function cacheConfig(config: Pick<Config, 'Redis'>): CacheConfig {
  return config.Redis.Url
    ? { kind: 'redis', url: config.Redis.Url, prefix: config.Redis.KeyPrefix }
    : { kind: 'memory' };
}

/** `role` names the client towards the brokers (`chat-api`, `chat-persister`). */
export function busConfig(config: Pick<Config, 'Kafka' | 'App'>, role: string): BusConfig {
  const k = config.Kafka;
  return k.Brokers
    ? {
        kind: 'kafka',
        brokers: k.Brokers,
        clientId: `${k.ClientId}-${role}`,
        topicPrefix: k.TopicPrefix,
        groupPrefix: k.TopicPrefix,
        partitions: k.Partitions,
        replicationFactor: k.ReplicationFactor,
      }
    : { kind: 'memory', partitions: k.Partitions };
}

/**
 * The bus of a role that consumes (gateway, persister, notifier, the standalone server):
 * - a member that dies loses its partitions after 10 s instead of kafkajs's 30 s, so
 *   another member (or its restart) takes its records over soon; after a broker restart
 *   kafkajs rejoins as a new member and the group waits for the old member's session to
 *   expire first, so this also bounds how long pushes pause then;
 * - an idle fetch waits at most a second: stopping waits for the fetch in progress, so this
 *   bounds shutdown (a fetch returns as soon as a record is there, so nothing waits on it).
 */
export function consumerBusConfig(config: Pick<Config, 'Kafka' | 'App'>, role: string): BusConfig {
  const cfg = busConfig(config, role);
  return cfg.kind === 'kafka'
    ? {
        ...cfg,
        consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 1_000 },
      }
    : cfg;
}

export function jobQueueConfig(config: Pick<Config, 'Redis'>): JobQueueConfig {
  return config.Redis.Url
    ? { kind: 'bullmq', redisUrl: config.Redis.Url, prefix: config.Redis.KeyPrefix }
    : { kind: 'memory' };
}

/**
 * OSS when all four `AliyunOSS` connection keys are set (the loader refuses a partial set),
 * else files under `<App.DataDir>/files`, served by the api at `<Server.PublicUrl>/files`.
 */
export function blobStoreConfig(
  config: Pick<Config, 'AliyunOSS' | 'App' | 'Server'>,
): BlobStoreConfig {
  const o = config.AliyunOSS;
  if (o.Endpoint && o.AccessKeyID && o.AccessKeySecret && o.BucketName) {
    return {
      kind: 'oss',
      endpoint: o.Endpoint,
      accessKeyId: o.AccessKeyID,
      accessKeySecret: o.AccessKeySecret,
      bucket: o.BucketName,
      basePath: o.BasePath,
      bucketUrl: o.BucketUrl,
    };
  }
  const host = ['0.0.0.0', '::', ''].includes(config.Server.Host)
    ? '127.0.0.1'
    : config.Server.Host;
  const base = config.Server.PublicUrl ?? `http://${host}:${config.Server.ApiPort}`;
  return {
    kind: 'local',
    dir: path.join(config.App.DataDir, 'files'),
    publicBaseUrl: `${base.replace(/\/+$/, '')}${LOCAL_FILES_PATH}`,
  };
}

/** Where the api serves local-disk files (`serveLocalFiles`). */
export const LOCAL_FILES_PATH = '/files';

/**
 * PostgreSQL when `Postgresql.Url` is set, else the embedded database under `App.DataDir`.
 * Only a one-process server (standalone) may take the embedded one: it serves one process.
 */
export function databaseConfig(config: Pick<Config, 'Postgresql' | 'App'>): DatabaseSelection {
  return config.Postgresql.Url
    ? { kind: 'postgres', url: config.Postgresql.Url, poolMax: config.Postgresql.PoolMax }
    : { kind: 'embedded', dir: embeddedDatabaseDir(config.App.DataDir) };
}

/**
 * The apps started one per process need `Postgresql.Url`: the embedded database serves a
 * single process, so it is for the standalone server alone.
 */
export function requireDatabaseUrl(config: Pick<Config, 'Postgresql'>): string {
  if (!config.Postgresql.Url) {
    throw new Error(
      'Postgresql.Url: not set. Set it in config/app/private.yml or DATABASE_URL, ' +
        'or run every role in one process on the embedded database with `npm start`.',
    );
  }
  return config.Postgresql.Url;
}

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

/**
 * The push adapters (docs/push-notifications.md): every provider whose keys are all set;
 * with none, the dev sink under `App.DataDir/push` where `Push.DevSink` allows it (the
 * standalone server does by itself), else `none`, and no notification is queued at all.
 * A provider with only some of its keys set is refused, so a typo does not silently turn
 * its notifications off.
 */
export function pushConfig(config: Pick<Config, 'App' | 'Push'>): PushConfig {
  const p = config.Push;
  const problems: string[] = [];
  const all = (name: string, keys: Record<string, string | undefined>) => {
    const set = Object.entries(keys).filter(([, v]) => v !== undefined);
    if (set.length > 0 && set.length < Object.keys(keys).length) {
      const missing = Object.keys(keys).filter((k) => keys[k] === undefined);
      problems.push(
        `Push.${missing.join(', Push.')}: not set, but other ${name} keys are; set all or none.`,
      );
    }
    return set.length === Object.keys(keys).length;
  };
  const out: Extract<PushConfig, { kind: 'providers' }> = { kind: 'providers' };
  if (p.FcmServiceAccount) {
    let account: FcmServiceAccount | undefined;
    try {
      account = JSON.parse(p.FcmServiceAccount) as FcmServiceAccount;
    } catch {
      problems.push(
        'Push.FcmServiceAccount: not JSON; paste the service-account key file on one line.',
      );
    }
    if (account && (!account.project_id || !account.client_email || !account.private_key)) {
      problems.push('Push.FcmServiceAccount: needs project_id, client_email and private_key.');
    } else if (account) {
      out.fcm = { serviceAccount: account, endpoint: p.FcmEndpoint };
    }
  }
  if (
    all('APNs', {
      ApnsKey: p.ApnsKey,
      ApnsKeyId: p.ApnsKeyId,
      ApnsTeamId: p.ApnsTeamId,
      ApnsTopic: p.ApnsTopic,
    })
  ) {
    out.apns = {
      key: p.ApnsKey!,
      keyId: p.ApnsKeyId!,
      teamId: p.ApnsTeamId!,
      topic: p.ApnsTopic!,
      endpoint: p.ApnsEndpoint,
      ca: p.ApnsCa,
    };
  }
  if (
    all('Web Push', {
      WebPushSubject: p.WebPushSubject,
      WebPushPublicKey: p.WebPushPublicKey,
      WebPushPrivateKey: p.WebPushPrivateKey,
    })
  ) {
    out.webpush = {
      subject: p.WebPushSubject!,
      publicKey: p.WebPushPublicKey!,
      privateKey: p.WebPushPrivateKey!,
    };
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (out.fcm || out.apns || out.webpush) return out;
  if (p.DevSink) return { kind: 'dev', dir: path.join(config.App.DataDir, 'push') };
  return { kind: 'none' };
}

/** How the api and the gateways sign and read tokens (`Token.*`): the same on both. */
export function tokenSettings(config: Pick<Config, 'Token'>): TokenSettings {
  return {
    key: config.Token.Key,
    userTokenTtlMs: config.Token.UserTokenDuration,
    accountTokenTtlMs: config.Token.AccountTokenDuration,
    headerName: config.Token.AuthorizationKey,
    scheme: config.Token.AuthorizationType,
  };
}
