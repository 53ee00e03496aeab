import nodemailer, { type NodemailerError, type Transporter } from 'nodemailer';
import { type Logger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { type Mailer, type MailMessage, type SentMail } from './mailer';

export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://` (TLS from the start). */
  url: string;
  /** Sender, e.g. `Chat <no-reply@chat.local>` (`Email.From`). */
  from: string;
}

/**
 * Failures without an SMTP reply that sending again cannot fix: bad settings, missing
 * credentials, a message or envelope nodemailer refuses to build. Everything else that
 * lacks a reply (connection refused or reset, timeouts, DNS) is treated as transient.
 */
const PERMANENT_CODES = new Set([
  'ECONFIG',
  'ENOAUTH',
  'EAUTH',
  'EOAUTH2',
  'EENVELOPE',
  'EMESSAGE',
  'EREQUIRETLS',
  'EMAXRECIPIENTS',
  'EFILEACCESS',
  'EURLACCESS',
  'ETLS',
]);

/**
 * Whether the same mail may go through later. With a server reply, RFC 5321 decides:
 * 4yz is transient, 5yz permanent, except 503 (bad command sequence: a fresh
 * connection can succeed). nodemailer states this as `permanent` when it sets it.
 */
export function isRetryableSmtpError(err: unknown): boolean {
  const e = err as Partial<NodemailerError>;
  if (typeof e.responseCode === 'number') {
    if (typeof e.permanent === 'boolean') return !e.permanent;
    return !(e.responseCode >= 500 && e.responseCode < 600 && e.responseCode !== 503);
  }
  return !(typeof e.code === 'string' && PERMANENT_CODES.has(e.code));
}

/** The mail port over SMTP through nodemailer (docs/architecture.md, production adapter). */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  private closed = false;

  constructor(
    opts: SmtpMailerOptions,
    private readonly log: Logger,
  ) {
    // One connection per mail: verification mails are few, and nothing is left open
    // between jobs. The timeouts bound one attempt well below a job's backoff
    // (nodemailer's defaults are 2 and 10 minutes).
    this.transport = nodemailer.createTransport(
      { url: opts.url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 },
      { from: opts.from },
    );
  }

  async send(message: MailMessage): Promise<SentMail> {
    if (this.closed) throw new InfrastructureError('smtp: mailer closed', undefined, false);
    try {
      const info = await this.transport.sendMail({
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
      this.log.debug({ messageId: info.messageId, to: message.to }, 'mail sent');
      return { messageId: String(info.messageId) };
    } catch (err) {
      const e = err as Partial<NodemailerError>;
      // The server's reply (`451 4.3.0 try again later`) names the cause best.
      const reason = e.response ?? e.code ?? (err as Error).message;
      throw new InfrastructureError(
        `smtp: sending failed (${reason})`,
        err,
        isRetryableSmtpError(err),
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
  }
}
