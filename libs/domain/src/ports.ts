/**
 * What the domain needs from a unit of work, its outbox and the job queue. The repository
 * ports (`UserRepository`, `AccountRepository` …) are libs/db's (`libs/db/src/ports`), the
 * cache ports libs/cache's; the domain imports their types only, and the apps pass the
 * instances in. Domain code never imports a driver.
 */
import type { ChatEvent, EmailJob, MessageRecord } from '@chat/protocol';

/** A push-carrying domain event before the outbox stamps `id` and `at`. */
export type ChatEventDraft = Omit<ChatEvent, 'id' | 'at'> & {
  /** Bus key: events with one key are delivered in order (a relation, an account). */
  key: string;
};

/**
 * The bus records a unit of work causes, kept with its change (the transactional outbox):
 * they are written in its transaction and published once it has committed, at least once,
 * in the order recorded per key. Nothing is published for a unit that throws.
 */
export interface Outbox {
  /** Domain events for `chat.events` (pushes, cache effects). */
  events(drafts: ChatEventDraft[]): void;
  /** A message the server creates (a system message) for `chat.messages`. */
  message(record: MessageRecord): void;
  /**
   * The account's presence changed (it hid or showed it), for `chat.presence`: a record
   * keyed by the account and carrying no state (docs/protocol.md §3.5).
   */
  presence(accountId: number): void;
}

/**
 * Runs `work` as one database transaction (docs/api.md §3.1: pushes follow the commit): the
 * repositories it calls join the transaction, and what it records in `outbox` commits with
 * the change or not at all. Throwing rolls everything back. Resolves after the commit.
 */
export interface UnitOfWork {
  run<T>(work: (outbox: Outbox) => Promise<T>): Promise<T>;
}

/**
 * Producer side of the `email` job queue (libs/jobs). Payloads have the type of the
 * protocol's `emailJobSchema`, the schema the mailer parses each job with.
 */
export interface MailQueue {
  add(name: string, payload: EmailJob): Promise<unknown>;
}
