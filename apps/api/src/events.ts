import { randomUUID } from 'node:crypto';
import type { ChatEventDraft, EventPublisher } from '@chat/domain';
import type { Logger } from '@chat/logger';
import { TOPICS, type ChatEvent } from '@chat/protocol';

/** What the publisher needs of the bus: a durable keyed publish of several records. */
export interface EventSink {
  publishMany(records: { topic: string; key: string; value: string }[]): Promise<void>;
}

export interface RetryPolicy {
  /** Wait before the first retry, doubled each time (`Auto.Retry.Duration`). */
  delayMs: number;
  /** Retries after the first attempt (`Auto.Retry.MaxTimes`). */
  maxTimes: number;
}

/**
 * Publishes committed domain events to `chat.events` (API.md §3.1: pushes follow the
 * commit). A publish that still fails after the retry policy is logged and given up: the
 * change itself is committed and readable over REST, and pushes are best effort
 * (EVENTS.md §5), so the request does not fail for it.
 */
export class BusEventPublisher implements EventPublisher {
  constructor(
    private readonly sink: EventSink,
    private readonly retry: RetryPolicy,
    private readonly log: Logger,
  ) {}

  async publish(drafts: ChatEventDraft[]): Promise<void> {
    if (!drafts.length) return;
    const at = new Date().toISOString();
    const records = drafts.map(({ key, ...draft }) => {
      const event: ChatEvent = { id: randomUUID(), at, ...draft };
      return { topic: TOPICS.events, key, value: JSON.stringify(event) };
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sink.publishMany(records);
        return;
      } catch (err) {
        if (attempt >= this.retry.maxTimes) {
          this.log.error(
            { err, events: records.length },
            'domain events not published; pushes lost',
          );
          return;
        }
        await new Promise((r) => setTimeout(r, this.retry.delayMs * 2 ** attempt));
      }
    }
  }
}
