import { type Logger } from '@chat/logger';
import { DevMailbox } from './dev-mailbox';
import { type Mailer } from './mailer';
import { SmtpMailer } from './smtp-mailer';

/**
 * Which adapter backs the mail port: SMTP when `Email.SmtpUrl` is set, else the dev
 * mailbox under `App.DataDir` (docs/architecture.md, ports and adapters).
 */
export type MailConfig =
  { kind: 'smtp'; url: string; from: string } | { kind: 'dev'; dir: string; from: string };

/** The one place that picks the mail adapter (docs/development.md §2). */
export function createMailer(cfg: MailConfig, log: Logger): Mailer {
  switch (cfg.kind) {
    case 'smtp': {
      // The URL may hold credentials: log only where it points.
      const { protocol, host } = new URL(cfg.url);
      log.info({ port: 'mail', adapter: 'smtp', server: `${protocol}//${host}` }, 'mail adapter');
      return new SmtpMailer({ url: cfg.url, from: cfg.from }, log);
    }
    case 'dev': {
      log.info({ port: 'mail', adapter: 'dev-mailbox', dir: cfg.dir }, 'mail adapter');
      return new DevMailbox({ dir: cfg.dir, from: cfg.from }, log);
    }
    default: {
      const unknownKind: never = cfg;
      throw new Error(`unknown mailer kind ${JSON.stringify(unknownKind)}`);
    }
  }
}
