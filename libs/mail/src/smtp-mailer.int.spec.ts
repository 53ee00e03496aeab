import { createLogger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { createMailer } from './create-mailer';
import { isRetryableSmtpError, SmtpMailer } from './smtp-mailer';
import { mailerContract } from './testing/mailer.contract';
import { startSmtpSink, type SmtpSink } from './testing/smtp-sink';
import { renderVerificationEmail } from './verification-email';

mailerContract('SmtpMailer', async () => {
  const sink = await startSmtpSink();
  const mailer = new SmtpMailer(
    { url: sink.url, from: 'Chat <no-reply@chat.local>' },
    createLogger({ name: 'test', level: 'silent' }),
  );
  return {
    mailer,
    delivered: async () => sink.messages.map((m) => m.raw),
    cleanup: async () => {
      await mailer.close();
      await sink.close();
    },
  };
});

describe('SmtpMailer against a real SMTP server', () => {
  const log = createLogger({ name: 'test', level: 'silent' });
  const from = 'Chat <no-reply@chat.local>';
  let sink: SmtpSink;
  let mailer: SmtpMailer;

  beforeEach(async () => {
    sink = await startSmtpSink();
    mailer = new SmtpMailer({ url: sink.url, from }, log);
  });

  afterEach(async () => {
    await mailer.close();
    await sink.close();
  });

  it('delivers a verification mail to the recipient with the subject and the code', async () => {
    const job = {
      kind: 'verification_code',
      to: 'bob@example.com',
      code: '518093',
      validForMs: 3_600_000,
    } as const;

    const sent = await mailer.send({ to: job.to, ...renderVerificationEmail(job, 'Chat') });

    const got = await sink.waitFor((m) => m.to.includes('bob@example.com'));
    expect(got.from).toBe('no-reply@chat.local');
    expect(got.to).toEqual(['bob@example.com']);
    expect(got.subject).toBe('Your Chat verification code');
    expect(got.text).toContain('518093');
    expect(got.text).toContain('valid for 60 minutes');
    expect(got.html).toContain('518093');
    expect(got.raw).toContain(`Message-ID: ${sent.messageId}`);
  });

  it('reports a 4xx reply as a retryable failure, and the next attempt goes through', async () => {
    sink.failNext(1, 451);
    const mail = { to: 'carol@example.com', subject: 'hello', text: 'code 1234' };

    const failure = await mailer.send(mail).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(InfrastructureError);
    expect(failure).toMatchObject({ retryable: true });
    expect((failure as Error).message).toContain('451');
    expect(sink.messages).toHaveLength(0);

    await mailer.send(mail);
    expect((await sink.waitFor(() => true)).text).toBe('code 1234');
  });

  it('reports a 5xx rejection as a failure that must not be retried', async () => {
    sink.failNext(1, 550);
    const failure = await mailer
      .send({ to: 'dave@example.com', subject: 'hello', text: 'hi' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(InfrastructureError);
    expect(failure).toMatchObject({ retryable: false });
  });

  it('reports a server that cannot be reached as a retryable failure', async () => {
    const gone = await startSmtpSink();
    await gone.close();
    const unreachable = createMailer({ kind: 'smtp', url: gone.url, from }, log);
    try {
      await expect(
        unreachable.send({ to: 'erin@example.com', subject: 'hello', text: 'hi' }),
      ).rejects.toMatchObject({ name: 'InfrastructureError', retryable: true });
    } finally {
      await unreachable.close();
    }
  });
});

describe('isRetryableSmtpError', () => {
  it('follows the reply class: 4xx and 503 transient, other 5xx permanent', () => {
    expect(isRetryableSmtpError({ code: 'EENVELOPE', responseCode: 452 })).toBe(true);
    expect(isRetryableSmtpError({ code: 'EMESSAGE', responseCode: 503 })).toBe(true);
    expect(isRetryableSmtpError({ code: 'EENVELOPE', responseCode: 550 })).toBe(false);
    expect(isRetryableSmtpError({ code: 'EAUTH', responseCode: 535 })).toBe(false);
  });

  it('retries connection trouble but not bad settings when there is no reply', () => {
    expect(isRetryableSmtpError({ code: 'ECONNECTION' })).toBe(true);
    expect(isRetryableSmtpError({ code: 'ETIMEDOUT' })).toBe(true);
    expect(isRetryableSmtpError({ code: 'ENOAUTH' })).toBe(false);
    expect(isRetryableSmtpError({ code: 'ECONFIG' })).toBe(false);
  });
});
