import type { MessageLookupRepository, SendKey } from '@chat/db';
import type { SendAck } from './send-dedup';

/** What the look-up reads (`GatewayStore`). */
export type SentMessageSource = Pick<MessageLookupRepository, 'newestSends'>;

/** Keys asked for in one query at most. */
const MAX_BATCH = 500;

/**
 * Finds the message a resend refers to in Postgres, for `SendDedup` while its cache claims
 * may have been lost. The keys asked for in the same tick go to the database as one query
 * (a loss makes every send with a `client_msg_id` ask, from every socket at once), and each
 * caller gets only a message inside its own window.
 */
export class SentLookup {
  private pending: { key: SendKey; sinceMs: number; done: Deferred<SendAck | undefined> }[] = [];

  constructor(private readonly source: SentMessageSource) {}

  /** The newest message of `key` created at or after `sinceMs`, as its ack; undefined: none. */
  find(key: SendKey, sinceMs: number): Promise<SendAck | undefined> {
    const done = deferred<SendAck | undefined>();
    this.pending.push({ key, sinceMs, done });
    if (this.pending.length === 1) setImmediate(() => void this.flush());
    return done.promise;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i += MAX_BATCH) {
      const part = batch.slice(i, i + MAX_BATCH);
      try {
        const sinceMs = Math.min(...part.map((p) => p.sinceMs));
        const found = new Map(
          (await this.source.newestSends(uniqueKeys(part.map((p) => p.key)), sinceMs)).map((m) => [
            keyOf(m),
            m,
          ]),
        );
        for (const p of part) {
          const m = found.get(keyOf(p.key));
          p.done.resolve(
            m && Date.parse(m.createAt) >= p.sinceMs
              ? { msg_id: m.msgId, create_at: m.createAt }
              : undefined,
          );
        }
      } catch (err) {
        for (const p of part) p.done.reject(err);
      }
    }
  }
}

const keyOf = (k: SendKey) => `${k.accountId}\u0000${k.clientMsgId}`;

function uniqueKeys(keys: SendKey[]): SendKey[] {
  return [...new Map(keys.map((k) => [keyOf(k), k])).values()];
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
