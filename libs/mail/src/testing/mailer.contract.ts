import { type Mailer } from '../mailer';
import { renderVerificationEmail } from '../verification-email';
import { parseMail, type ParsedMail } from './parse-mail';

/** What an adapter's spec supplies: a fresh mailer, and where its mails can be read back. */
export interface MailerUnderTest {
  mailer: Mailer;
  /** The raw messages (RFC 5322) delivered so far, oldest first. */
  delivered(): Promise<string[]>;
  cleanup(): Promise<void>;
}

const FROM = 'Chat <no-reply@chat.local>';

/**
 * The behaviour every `Mailer` adapter shows (docs/development.md §7): what a person receives is the same
 * whether the mail went through SMTP or into the dev mailbox. `make` builds a mailer whose
 * sender is `Chat <no-reply@chat.local>`.
 */
export function mailerContract(name: string, make: () => Promise<MailerUnderTest>): void {
  describe(`${name} (mailer contract)`, () => {
    let current: MailerUnderTest;

    beforeEach(async () => {
      current = await make();
    });

    afterEach(async () => {
      await current.cleanup();
    });

    const received = async (): Promise<ParsedMail[]> =>
      (await current.delivered()).map((raw) => parseMail(raw));

    it('delivers a verification mail with recipient, sender, subject, code and Message-ID', async () => {
      const job = {
        kind: 'verification_code',
        to: 'ann@example.com',
        code: '730241',
        validForMs: 3_600_000,
      } as const;
      const sent = await current.mailer.send({
        to: job.to,
        ...renderVerificationEmail(job, 'Chat'),
      });

      const [mail, ...more] = await received();
      expect(more).toEqual([]);
      expect(mail.headers.get('to')).toBe('ann@example.com');
      expect(mail.headers.get('from')).toBe(FROM);
      expect(mail.headers.get('message-id')).toBe(sent.messageId);
      expect(mail.subject).toBe('Your Chat verification code');
      expect(mail.text).toContain('730241');
      expect(mail.text).toContain('valid for 60 minutes');
      expect(mail.html).toContain('730241');
    });

    it('delivers a plain-text mail with non-ASCII text unchanged, in send order', async () => {
      await current.mailer.send({ to: 'bob@example.com', subject: '你好', text: '第一封' });
      await current.mailer.send({ to: 'bob@example.com', subject: 'second', text: 'two' });

      const mails = await received();
      expect(mails.map((m) => [m.subject, m.text.trim(), m.html])).toEqual([
        ['你好', '第一封', undefined],
        ['second', 'two', undefined],
      ]);
    });

    it('refuses to send once closed, and closing twice is harmless', async () => {
      await current.mailer.close();
      await current.mailer.close();
      await expect(
        current.mailer.send({ to: 'carol@example.com', subject: 's', text: 't' }),
      ).rejects.toMatchObject({ name: 'InfrastructureError', retryable: false });
      expect(await current.delivered()).toEqual([]);
    });
  });
}
