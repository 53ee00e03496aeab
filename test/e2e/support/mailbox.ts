import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseMail, type SinkMessage, type SmtpSink } from '@chat/mail/testing';
import { waitFor } from '@chat/testing';

/** Where a suite reads the mails the server sent: an SMTP sink, or the dev mailbox. */
export type Inbox = Pick<SmtpSink, 'messages' | 'waitFor'>;

/**
 * The standalone server's dev mailbox (`<App.DataDir>/mailbox`, one `.eml` file per mail,
 * named so they sort in send order) read as an inbox: `messages` looks at the folder each
 * time it is read, so it is never behind what the server has written.
 */
export class DevMailboxInbox implements Inbox {
  private readonly seen = new Set<string>();
  private readonly received: SinkMessage[] = [];

  constructor(private readonly dir: string) {}

  get messages(): SinkMessage[] {
    let files: string[];
    try {
      files = readdirSync(this.dir).filter((f) => f.endsWith('.eml'));
    } catch {
      return this.received;
    }
    for (const file of files.sort()) {
      if (this.seen.has(file)) continue;
      this.seen.add(file);
      const raw = readFileSync(path.join(this.dir, file), 'utf8');
      const mail = parseMail(raw);
      this.received.push({
        from: mail.headers.get('from') ?? '',
        to: (mail.headers.get('to') ?? '').split(',').map((to) => to.trim()),
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        raw,
      });
    }
    return this.received;
  }

  waitFor(predicate: (m: SinkMessage) => boolean, timeoutMs = 15_000): Promise<SinkMessage> {
    return waitFor(() => this.messages.find(predicate), {
      timeoutMs,
      intervalMs: 50,
      what: `a mail in ${this.dir}`,
    });
  }
}
