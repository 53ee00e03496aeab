import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { type Logger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { type Mailer, type MailMessage, type SentMail } from './mailer';

export interface DevMailboxOptions {
  /** Folder the mails are written to (created when missing), e.g. `<App.DataDir>/mailbox`. */
  dir: string;
  from: string;
}

/**
 * The embedded mail adapter (docs/architecture.md): nothing leaves the machine. Each mail is
 * written as an `.eml` file (open it with any mail client) and logged with its recipient,
 * subject and plain-text body, so a developer reads a verification code from the log.
 */
export class DevMailbox implements Mailer {
  /** nodemailer builds the same MIME message it would send over SMTP. */
  private readonly composer: Transporter;
  private closed = false;
  /** Mails written by this mailbox, so names sort in send order within a millisecond. */
  private written = 0;

  constructor(
    private readonly opts: DevMailboxOptions,
    private readonly log: Logger,
  ) {
    this.composer = nodemailer.createTransport(
      { streamTransport: true, buffer: true, newline: 'unix' },
      { from: opts.from },
    );
  }

  async send(message: MailMessage): Promise<SentMail> {
    if (this.closed) throw new InfrastructureError('dev mailbox: closed', undefined, false);
    const info = await this.composer.sendMail({
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
    // Sortable by time, then by send order; the random part keeps the mails of two
    // processes apart.
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const seq = String(++this.written).padStart(6, '0');
    const name = `${stamp}-${seq}-${randomBytes(3).toString('hex')}.eml`;
    const file = path.join(this.opts.dir, name);
    try {
      await mkdir(this.opts.dir, { recursive: true });
      // Written aside, then renamed: whoever watches the folder never reads half a mail.
      await writeFile(`${file}.part`, info.message as Buffer);
      await rename(`${file}.part`, file);
    } catch (err) {
      throw new InfrastructureError(`dev mailbox: cannot write ${file}`, err);
    }
    const messageId = String(info.messageId);
    this.log.info(
      { to: message.to, subject: message.subject, file, text: message.text },
      'mail written to dev mailbox',
    );
    return { messageId };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
