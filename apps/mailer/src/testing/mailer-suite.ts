import path from 'node:path';
import { loadConfig, type Config } from '@chat/config';
import { BullmqJobQueue, retryPolicyFromConfig } from '@chat/jobs';
import { createLogger } from '@chat/logger';
import type { SuiteContext } from '@chat/testing';

const CONFIG_DIR = path.resolve(__dirname, '../../../../config/app');

/** The signing key of the mailer's suites (the config requires one; the mailer signs nothing). */
export const TEST_TOKEN_KEY = 'test-signing-key-7Hq2Xv9LmP4zR8sK1wN6bT3y';

export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The mailer's config as its suites load it: `config/app`, no environment, the test signing
 * key and a free ops port (other suites may run a mailer at the same time), with `overrides`
 * (whole sections) on top.
 */
export function mailerConfig(overrides: Record<string, unknown> = {}): Config {
  return loadConfig({
    dir: CONFIG_DIR,
    env: {},
    overrides: {
      Token: { Key: TEST_TOKEN_KEY },
      Server: { MailerOpsPort: 0 },
      ...overrides,
    },
  });
}

/** The config sections of BullMQ on the suite's Redis prefix, with retries 50 ms apart, 3 at most. */
export function bullmqSections(ctx: SuiteContext): Record<string, unknown> {
  return {
    Redis: { Url: ctx.redisUrl, KeyPrefix: ctx.redisPrefix },
    Auto: { Retry: { Duration: '50ms', MaxTimes: 3 } },
  };
}

/**
 * The producing side of one of the mailer's queues (the api's for email, the notifier's for
 * push): no worker, on the suite's Redis prefix and the config's retry policy.
 */
export function producerQueue<T>(
  queue: string,
  ctx: SuiteContext,
  config: Config,
): BullmqJobQueue<T> {
  return new BullmqJobQueue<T>(
    queue,
    {
      redisUrl: ctx.redisUrl,
      prefix: ctx.redisPrefix,
      retry: retryPolicyFromConfig(config.Auto.Retry),
    },
    createLogger({ name: 'producer', level: 'silent' }),
  );
}
