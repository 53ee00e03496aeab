import { type AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import { parseMail } from './parse-mail';

/** One mail the sink accepted. */
export interface SinkMessage {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO); `to.includes(address)` reads well in tests. */
  to: string[];
  subject: string;
  /** The text/plain body, decoded. */
  text: string;
  /** The text/html body, decoded, when the mail has one. */
  html?: string;
  /** The message as received (CRLF line ends). */
  raw: string;
}

/** A mail held by `holdNext`: the sink has it but has not answered the client yet. */
export interface SinkHold {
  /** Resolves when the held mail has arrived (the client is waiting for the reply). */
  arrived: Promise<void>;
  /** Lets the sink accept the held mail. */
  release(): void;
}

/**
 * A real SMTP server on a free loopback port (docs/development.md §7: tests talk to real services),
 * plain text, no authentication. Point an SMTP client at `url`.
 */
export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  /** Accepted mails, oldest first. */
  messages: SinkMessage[];
  /** The first accepted mail, past or future, that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (m: SinkMessage) => boolean, timeoutMs?: number): Promise<SinkMessage>;
  /**
   * Rejects the next `count` mails at the end of DATA with reply `code` (default 451, a
   * temporary failure; 550 and the like are permanent).
   */
  failNext(count: number, code?: number): void;
  /** Holds the next mail before answering, until `release` (to test in-flight sends). */
  holdNext(): SinkHold;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  let waiters: { match: (m: SinkMessage) => boolean; resolve: (m: SinkMessage) => void }[] = [];
  const failures: number[] = [];
  const holds: { arrive: () => void; released: Promise<void> }[] = [];

  const accept = (message: SinkMessage) => {
    messages.push(message);
    waiters = waiters.filter((w) => {
      if (!w.match(message)) return true;
      w.resolve(message);
      return false;
    });
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 1000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        void (async () => {
          const hold = holds.shift();
          if (hold) {
            hold.arrive();
            await hold.released;
          }
          const code = failures.shift();
          if (code !== undefined) {
            const err: SMTPServerError = new Error(
              code >= 500 ? 'mailbox unavailable' : 'try again later',
            );
            err.responseCode = code;
            return callback(err);
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          const parsed = parseMail(raw);
          const mailFrom = session.envelope.mailFrom;
          accept({
            from: mailFrom ? mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject,
            text: parsed.text,
            html: parsed.html,
            raw,
          });
          callback(null);
        })();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(predicate, timeoutMs = 10_000) {
      const past = messages.find(predicate);
      if (past) return Promise.resolve(past);
      return new Promise<SinkMessage>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w.resolve !== done);
          reject(new Error(`smtp sink: no matching mail within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (m: SinkMessage) => {
          clearTimeout(timer);
          resolve(m);
        };
        waiters.push({ match: predicate, resolve: done });
      });
    },
    failNext(count, code = 451) {
      for (let i = 0; i < count; i++) failures.push(code);
    },
    holdNext() {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((r) => (arrive = r));
      const released = new Promise<void>((r) => (release = r));
      holds.push({ arrive, released });
      return { arrived, release };
    },
    close() {
      return (closing ??= new Promise<void>((resolve) => server.close(() => resolve())));
    },
  };
}
