import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { TOPICS, type ChatEvent } from '@chat/protocol';
import { waitFor } from '@chat/testing';

/** Reads `chat.events` from the beginning, as any other consumer of the bus would. */
export class EventLog {
  readonly events: ChatEvent[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(
    brokers: string[],
    topicPrefix: string,
    groupPrefix: string,
  ): Promise<EventLog> {
    const kafka = new Kafka({ clientId: 'e2e-events', brokers, logLevel: logLevel.NOTHING });
    const topic = `${topicPrefix}${TOPICS.events}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const consumer = kafka.consumer({
      groupId: `${groupPrefix}e2e-events`,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    const log = new EventLog(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        log.events.push(JSON.parse(message.value!.toString()) as ChatEvent);
      },
    });
    return log;
  }

  /** Waits for an event matching `predicate`. */
  find(predicate: (e: ChatEvent) => boolean, what: string): Promise<ChatEvent> {
    return waitFor(() => this.events.find(predicate), { timeoutMs: 20_000, what });
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}
