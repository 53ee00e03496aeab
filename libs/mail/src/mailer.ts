export interface MailMessage {
  /** One recipient address. */
  to: string;
  subject: string;
  /** Plain-text body; every mail has one. */
  text: string;
  /** Optional HTML alternative of the same content. */
  html?: string;
}

export interface SentMail {
  /** The Message-ID header the mail went out with. */
  messageId: string;
}

/**
 * Sends mail from the configured sender (`Email.From`). Resolves once the mail server (or
 * the dev mailbox) has taken the message. Failures reject with an `InfrastructureError`
 * whose `retryable` says whether sending the same mail again may succeed: a connection
 * failure or a 4xx reply may, a 5xx rejection will not.
 */
export interface Mailer {
  send(message: MailMessage): Promise<SentMail>;
  /** Releases connections; safe to call twice. Sends after close reject. */
  close(): Promise<void>;
}
