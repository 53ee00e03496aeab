import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@chat/logger';
import { createMailer } from './create-mailer';
import { DevMailbox } from './dev-mailbox';
import { mailerContract } from './testing/mailer.contract';
import { parseMail } from './testing/parse-mail';
import { renderVerificationEmail } from './verification-email';

mailerContract('DevMailbox', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dev-mailbox-contract-'));
  const mailer = new DevMailbox(
    { dir: path.join(dir, 'mailbox'), from: 'Chat <no-reply@chat.local>' },
    createLogger({ name: 'test', level: 'silent' }),
  );
  return {
    mailer,
    delivered: async () => {
      const files = await readdir(path.join(dir, 'mailbox')).catch(() => [] as string[]);
      return Promise.all(files.sort().map((f) => readFile(path.join(dir, 'mailbox', f), 'utf8')));
    },
    cleanup: async () => {
      await mailer.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('DevMailbox', () => {
  let root: string;
  let lines: Record<string, unknown>[];
  const log = () =>
    createLogger({
      name: 'test',
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      }),
    });

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'dev-mailbox-'));
    lines = [];
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a verification mail as an .eml file and logs recipient, subject and code', async () => {
    const dir = path.join(root, 'mailbox');
    const mailer = createMailer({ kind: 'dev', dir, from: 'Chat <no-reply@chat.local>' }, log());
    expect(mailer).toBeInstanceOf(DevMailbox);
    const job = {
      kind: 'verification_code',
      to: 'ann@example.com',
      code: '730241',
      validForMs: 3_600_000,
    } as const;

    const sent = await mailer.send({ to: job.to, ...renderVerificationEmail(job, 'Chat') });

    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.eml$/);
    const mail = parseMail(await readFile(path.join(dir, files[0]), 'utf8'));
    expect(mail.headers.get('to')).toBe('ann@example.com');
    expect(mail.headers.get('from')).toBe('Chat <no-reply@chat.local>');
    expect(mail.headers.get('message-id')).toBe(sent.messageId);
    expect(mail.subject).toBe('Your Chat verification code');
    expect(mail.text).toContain('730241');
    expect(mail.html).toContain('730241');

    const logged = lines.find((l) => l.msg === 'mail written to dev mailbox');
    expect(logged).toMatchObject({ to: 'ann@example.com', subject: 'Your Chat verification code' });
    expect(JSON.stringify(logged)).toContain('730241');
    await mailer.close();
  });

  it('refuses to send once closed, and closing twice is harmless', async () => {
    const mailer = new DevMailbox({ dir: root, from: 'x@chat.local' }, log());
    await mailer.close();
    await mailer.close();
    await expect(mailer.send({ to: 'a@example.com', subject: 's', text: 't' })).rejects.toThrow(
      'closed',
    );
  });
});
