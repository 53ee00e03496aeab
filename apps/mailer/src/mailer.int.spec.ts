import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ConfigError, type Config } from '@chat/config';
import { MemoryJobQueue, retryPolicyFromConfig, type BullmqJobQueue } from '@chat/jobs';
import { createLogger, type Logger } from '@chat/logger';
import { startSmtpSink, type SmtpSink } from '@chat/mail/testing';
import { QUEUES, type EmailJob } from '@chat/protocol';
import { createSuiteContext, runScript, waitFor, type SuiteContext } from '@chat/testing';
import { start, type RunningMailer } from './start';
import {
  bullmqSections,
  mailerConfig,
  pause,
  producerQueue,
  TEST_TOKEN_KEY,
} from './testing/mailer-suite';

type Line = Record<string, unknown>;

function capturingLogger(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Line);
      done();
    },
  });
  return { log: createLogger({ name: 'mailer', level: 'debug', destination }), lines };
}

function codeJob(to: string, code: string): EmailJob {
  return { kind: 'verification_code', to, code, validForMs: 3_600_000 };
}

describe('mailer on BullMQ and SMTP', () => {
  let ctx: SuiteContext;
  let sink: SmtpSink;
  let config: Config;
  let running: RunningMailer;
  let producer: BullmqJobQueue<EmailJob>;
  let lines: Line[];

  beforeAll(async () => {
    ctx = await createSuiteContext('mailer', { database: false });
    sink = await startSmtpSink();
    config = mailerConfig({ ...bullmqSections(ctx), Email: { SmtpUrl: sink.url } });
    const captured = capturingLogger();
    lines = captured.lines;
    running = await start(config, captured.log);
    // The api's side: a producer with no worker, on the same Redis prefix and policy.
    producer = producerQueue<EmailJob>(QUEUES.email, ctx, config);
  });

  afterAll(async () => {
    await running?.stop();
    await producer?.close();
    await sink?.close();
    await ctx?.cleanup();
  });

  it('sends the verification mail of a queued job to its recipient', async () => {
    const jobId = await producer.add('verification_code', codeJob('ann@example.com', '204816'));

    const mail = await sink.waitFor((m) => m.to.includes('ann@example.com'));
    expect(mail.subject).toBe('Your chat verification code');
    expect(mail.text).toContain('204816');
    expect(mail.text).toContain('valid for 60 minutes');
    expect(mail.from).toBe('no-reply@chat.local');
    await waitFor(() => lines.find((l) => l.msg === 'email sent' && l.jobId === jobId), {
      what: 'the sent log line',
    });
    expect(JSON.stringify(lines)).not.toContain('204816');
  });

  it('retries a job whose first SMTP attempt gets a 4xx, and delivers it', async () => {
    sink.failNext(1, 451);
    const jobId = await producer.add('verification_code', codeJob('bob@example.com', '663120'));

    const mail = await sink.waitFor((m) => m.to.includes('bob@example.com'));
    expect(mail.text).toContain('663120');
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'job attempt failed, will retry', jobId, attempt: 1 }),
    );
    const sent = await waitFor(
      () => lines.find((l) => l.msg === 'email sent' && l.jobId === jobId),
      { what: 'the sent log line' },
    );
    expect(sent.attempt).toBe(2);
    expect(sink.messages.filter((m) => m.to.includes('bob@example.com'))).toHaveLength(1);
  });

  it('fails a job of unknown kind at once and logs it, without sending', async () => {
    const bogus = { kind: 'newsletter', to: 'carl@example.com' } as unknown as EmailJob;
    const jobId = await producer.add('newsletter', bogus);

    const failed = await waitFor(
      () => lines.find((l) => l.msg === 'job failed for good' && l.jobId === jobId),
      { what: 'the failure log line' },
    );
    expect(failed.attempt).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'unknown email job, not sending', jobId, kind: 'newsletter' }),
    );
    expect(sink.messages.some((m) => m.to.includes('carl@example.com'))).toBe(false);
  });

  it('fails a verification job with a field of the wrong type at once, naming the field but not the code', async () => {
    const bad = { ...codeJob('cody@example.com', '551177'), validForMs: '1h' };
    const jobId = await producer.add('verification_code', bad as unknown as EmailJob);

    const failed = await waitFor(
      () => lines.find((l) => l.msg === 'job failed for good' && l.jobId === jobId),
      { what: 'the failure log line' },
    );
    expect(failed.attempt).toBe(1);
    const refused = lines.find(
      (l) => l.msg === 'unknown email job, not sending' && l.jobId === jobId,
    );
    expect(refused).toMatchObject({
      kind: 'verification_code',
      problem: 'validForMs: Invalid input: expected number, received string',
    });
    expect(JSON.stringify(lines)).not.toContain('551177');
    expect(sink.messages.some((m) => m.to.includes('cody@example.com'))).toBe(false);
  });

  it('stop waits for the mail being sent before it resolves', async () => {
    const hold = sink.holdNext();
    const jobId = await producer.add('verification_code', codeJob('dora@example.com', '918273'));
    await hold.arrived;

    const order: string[] = [];
    const stopped = running.stop().then(() => order.push('stopped'));
    // Time for a stop that does not wait to resolve (and break the order below).
    await Promise.race([stopped, pause(200)]);
    order.push('released');
    hold.release();
    await stopped;

    expect(order).toEqual(['released', 'stopped']);
    expect(sink.messages.some((m) => m.to.includes('dora@example.com'))).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'email sent', jobId }));
  });
});

describe('mailer on the embedded adapters', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mailer-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('works a shared in-process queue and writes the mail to the dev mailbox', async () => {
    const config = mailerConfig({ App: { DataDir: dataDir }, Email: { DevMailbox: true } });
    expect(config.Redis.Url).toBeUndefined();
    expect(config.Email.SmtpUrl).toBeUndefined();
    const { log, lines } = capturingLogger();
    const queue = new MemoryJobQueue<EmailJob>(
      QUEUES.email,
      retryPolicyFromConfig(config.Auto.Retry),
      log,
    );
    const running = await start(config, log, { emailQueue: queue });
    try {
      await queue.add('verification_code', codeJob('eve@example.com', '550019'));

      const mailbox = path.join(dataDir, 'mailbox');
      // The log line comes after the file is written.
      await waitFor(() => lines.find((l) => l.msg === 'email sent'), { what: 'the sent log line' });
      const files = await readdir(mailbox);
      expect(files).toHaveLength(1);
      expect(await readFile(path.join(mailbox, files[0]), 'utf8')).toContain('550019');
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'mail adapter', adapter: 'dev-mailbox' }),
      );
    } finally {
      await running.stop();
      await queue.close();
    }
  });
});

describe('mailer without SMTP', () => {
  const FIX = [
    'Email.SmtpUrl: not set, and Email.DevMailbox is false',
    'Set Email.SmtpUrl in config/app/private.yml or SMTP_URL',
    'Email.DevMailbox: true or EMAIL_DEV_MAILBOX=true',
  ];

  it('refuses to start unless Email.DevMailbox allows the dev mailbox, naming both keys and the fix', async () => {
    const config = mailerConfig();
    expect([config.Email.SmtpUrl, config.Email.DevMailbox]).toEqual([undefined, false]);
    const { log, lines } = capturingLogger();
    const queue = new MemoryJobQueue<EmailJob>(
      QUEUES.email,
      retryPolicyFromConfig(config.Auto.Retry),
      log,
    );
    try {
      const failure = await start(config, log, { emailQueue: queue }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(ConfigError);
      const problems = (failure as ConfigError).problems;
      expect(problems).toHaveLength(1);
      for (const part of FIX) expect(problems[0]).toContain(part);
      // Refused before anything started: no ops server, no worker.
      expect(lines.map((l) => l.msg)).not.toContain('ops server listening');
      expect(lines.map((l) => l.msg)).not.toContain('mailer started');
    } finally {
      await queue.close();
    }
  });

  it('exits 1 as a process and prints the problem, as a config problem found at load is', async () => {
    const failure = await runScript('apps/mailer/src/main.ts', {
      TOKEN_KEY: TEST_TOKEN_KEY,
      SMTP_URL: '',
      EMAIL_DEV_MAILBOX: '',
      REDIS_URL: '',
      SERVER_MAILER_OPS_PORT: '0',
      LOG_LEVEL: 'info',
    }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(failure?.message).toContain('apps/mailer/src/main.ts exited with 1');
    expect(failure?.message).toContain('config: 1 problem');
    for (const part of FIX) expect(failure?.message).toContain(part);
  }, 60_000);
});
