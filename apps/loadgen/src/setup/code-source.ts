import { readdir, readFile, stat } from 'node:fs/promises';
import { type AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where the verification codes that the api mails (docs/api.md §6) are read back. */
export interface CodeSource {
  /** One line for logs, e.g. `smtp sink smtp://127.0.0.1:2525`. */
  readonly description: string;
  /** The code of the first mail to `email` that arrived at or after `sinceMs` (epoch ms). */
  codeFor(email: string, sinceMs: number, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * The code in a verification mail: a line holding only digits (the mail's plain text puts
 * the code on a line of its own; headers and the HTML part never do).
 */
export function extractCode(rawMail: string): string | undefined {
  return /^[ \t]*(\d{4,12})[ \t]*\r?$/m.exec(rawMail)?.[1];
}

/** The envelope or header recipients of a raw mail, lower-cased. */
function recipientsOf(rawMail: string): string[] {
  const head = rawMail.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  const to = /^to:(.*)$/im.exec(head)?.[1] ?? '';
  return [...to.matchAll(/[^\s<>,"]+@[^\s<>,"]+/g)].map((m) => m[0].toLowerCase());
}

interface Mail {
  to: string[];
  raw: string;
  atMs: number;
}

/**
 * An SMTP server this tool runs (plain, no authentication) that the mailer sends to
 * (`SMTP_URL=smtp://<host>:<port>`): every code comes back without touching a mailbox.
 */
export class SmtpCodeSource implements CodeSource {
  private readonly mails: Mail[] = [];
  private waiters: { match: (m: Mail) => boolean; resolve: (m: Mail) => void }[] = [];
  private readonly server: SMTPServer;
  /** `smtp://<host>:<port>` once listening. */
  url = '';

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 1000,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', callback);
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const envelope = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          this.accept({
            to: envelope.length ? envelope : recipientsOf(raw),
            raw,
            atMs: Date.now(),
          });
          callback();
        });
      },
    });
  }

  get description(): string {
    return `smtp sink ${this.url}`;
  }

  /** Listens on `host:port` (port 0: any free port; read `url`). */
  static async start(host = '127.0.0.1', port = 0): Promise<SmtpCodeSource> {
    const source = new SmtpCodeSource();
    await new Promise<void>((resolve, reject) => {
      source.server.once('error', reject);
      source.server.listen(port, host, () => resolve());
    });
    source.url = `smtp://${host}:${(source.server.server.address() as AddressInfo).port}`;
    return source;
  }

  private accept(mail: Mail): void {
    this.mails.push(mail);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(mail)) return true;
      w.resolve(mail);
      return false;
    });
  }

  async codeFor(email: string, sinceMs: number, timeoutMs = 60_000): Promise<string> {
    const address = email.toLowerCase();
    const match = (m: Mail) => m.atMs >= sinceMs && m.to.includes(address);
    const mail =
      this.mails.find(match) ??
      (await new Promise<Mail>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w.resolve !== done);
          reject(new Error(`no mail to ${email} at ${this.url} within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (m: Mail) => {
          clearTimeout(timer);
          resolve(m);
        };
        this.waiters.push({ match, resolve: done });
      }));
    const code = extractCode(mail.raw);
    if (!code) throw new Error(`no code in the mail to ${email}`);
    return code;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The dev mailbox of the embedded mail adapter: `.eml` files in a folder
 * (`<App.DataDir>/mailbox`), read as they appear.
 */
export class MailboxCodeSource implements CodeSource {
  private readonly seen = new Map<string, Mail>();

  constructor(readonly dir: string) {}

  get description(): string {
    return `dev mailbox ${path.resolve(this.dir)}`;
  }

  async codeFor(email: string, sinceMs: number, timeoutMs = 60_000): Promise<string> {
    const address = email.toLowerCase();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.scan();
      for (const mail of this.seen.values()) {
        // File times have a coarser clock than Date.now(): allow a little.
        if (mail.atMs >= sinceMs - 50 && mail.to.includes(address)) {
          const code = extractCode(mail.raw);
          if (code) return code;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`no mail to ${email} in ${this.description} within ${timeoutMs} ms`);
      }
      await sleep(100);
    }
  }

  private async scan(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith('.eml') || this.seen.has(name)) continue;
      const file = path.join(this.dir, name);
      const [raw, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      // A file still being written has no code yet: read it again on the next scan.
      if (extractCode(raw)) this.seen.set(name, { to: recipientsOf(raw), raw, atMs: info.mtimeMs });
    }
  }

  async close(): Promise<void> {}
}
