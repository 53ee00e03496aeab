import type { MessageRecord } from '@chat/protocol';
import type { ChatEventDraft, Outbox, UnitOfWork } from '../ports';

/**
 * The unit of work of the services' unit tests: it keeps what each unit recorded in its
 * outbox once the unit resolves (its commit), and nothing of a unit that throws (its
 * rollback), as the database-backed one does. For specs only.
 */
export class RecordingWork implements UnitOfWork {
  /** Events of the committed units, in order. */
  readonly events: ChatEventDraft[] = [];
  /** System messages of the committed units, in order. */
  readonly messages: MessageRecord[] = [];
  /** Accounts whose presence change the committed units announced, in order. */
  readonly presence: number[] = [];
  /** What was recorded, `events` call by call and `message` by message, in order. */
  readonly order: ('events' | 'message')[] = [];
  /** Units that threw and so committed nothing. */
  rolledBack = 0;

  async run<T>(work: (outbox: Outbox) => Promise<T>): Promise<T> {
    const events: ChatEventDraft[] = [];
    const messages: MessageRecord[] = [];
    const order: ('events' | 'message')[] = [];
    const presence: number[] = [];
    const outbox: Outbox = {
      events: (drafts) => {
        events.push(...drafts);
        order.push('events');
      },
      message: (record) => {
        messages.push(record);
        order.push('message');
      },
      presence: (accountId) => void presence.push(accountId),
    };
    let result: T;
    try {
      result = await work(outbox);
    } catch (err) {
      this.rolledBack++;
      throw err;
    }
    this.events.push(...events);
    this.messages.push(...messages);
    this.presence.push(...presence);
    this.order.push(...order);
    return result;
  }
}
