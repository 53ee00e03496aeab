import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@chat/logger';
import { createMailer, renderVerificationEmail, type Mailer } from '@chat/mail';
import { extractCode, MailboxCodeSource, SmtpCodeSource } from './code-source';

const log = createLogger({ name: 'loadgen-test', level: 'silent' });
const FROM = 'Chat <no-reply@chat.local>';

/** The verification mail exactly as the mailer app renders and sends it. */
async function sendCode(mailer: Mailer, to: string, code: string): Promise<void> {
  const mail = renderVerificationEmail(
    { kind: 'verification_code', to, code, validForMs: 3_600_000 },
    'chat',
  );
  await mailer.send({ to, ...mail });
}

describe('code sources', () => {
  it('reads codes the SMTP adapter sent to the sink, newest request first, by recipient', async () => {
    const sink = await SmtpCodeSource.start('127.0.0.1', 0);
    const mailer = createMailer({ kind: 'smtp', url: sink.url, from: FROM }, log);
    try {
      expect(sink.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
      const before = Date.now();
      await sendCode(mailer, 'Ann@Example.com', '493817');
      await sendCode(mailer, 'bob@example.com', '100200');
      expect(await sink.codeFor('ann@example.com', before)).toBe('493817');
      expect(await sink.codeFor('BOB@example.com', before)).toBe('100200');
      // A code asked for later is not answered with the earlier mail: it waits for a new one.
      const later = Date.now() + 1;
      const next = sink.codeFor('ann@example.com', later, 5000);
      await new Promise((r) => setTimeout(r, 5));
      await sendCode(mailer, 'ann@example.com', '777111');
      expect(await next).toBe('777111');
      await expect(sink.codeFor('cat@example.com', before, 100)).rejects.toThrow(/no mail to cat/);
    } finally {
      await mailer.close();
      await sink.close();
    }
  });

  it('reads codes from the .eml files of the dev mailbox adapter', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'loadgen-mailbox-'));
    const mailer = createMailer({ kind: 'dev', dir, from: FROM }, log);
    const source = new MailboxCodeSource(dir);
    try {
      const before = Date.now();
      await sendCode(mailer, 'ann@example.com', '246810');
      await sendCode(mailer, 'bob@example.com', '135790');
      expect(await source.codeFor('bob@example.com', before)).toBe('135790');
      expect(await source.codeFor('Ann@example.com', before)).toBe('246810');
      await expect(source.codeFor('cat@example.com', before, 300)).rejects.toThrow(
        /no mail to cat@example\.com/,
      );
    } finally {
      await mailer.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds the code on its own line, not in headers or the HTML part', () => {
    const raw = [
      'Date: Wed, 01 May 2024 08:30:00 +0000',
      'Message-ID: <123456@chat.local>',
      'Content-Type: text/plain',
      '',
      'Your chat verification code is:',
      '',
      '    654321',
      '',
      '<p style="font-size:24px">654321</p>',
    ].join('\r\n');
    expect(extractCode(raw)).toBe('654321');
    expect(extractCode('Subject: 123456 things\r\n\r\nno code here')).toBeUndefined();
  });
});
