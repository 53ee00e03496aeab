import type { Bus } from '@chat/bus';
import type { MessagePublisher } from '@chat/domain';
import { TOPICS, type MessageRecord } from '@chat/protocol';

/**
 * Publishes messages the api creates (file messages, system messages) to `chat.messages`,
 * keyed by relation like the gateways' (ARCHITECTURE.md). The persister stores and numbers
 * them, the notifier pushes them: the api never writes the message table itself.
 */
export class BusMessagePublisher implements MessagePublisher {
  constructor(private readonly bus: Pick<Bus, 'publish'>) {}

  publish(record: MessageRecord): Promise<void> {
    return this.bus.publish(TOPICS.messages, String(record.relation_id), JSON.stringify(record));
  }
}
