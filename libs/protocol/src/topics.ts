/**
 * Bus topics (docs/architecture.md, topology). Records of one conversation share the key
 * `relation_id`, so every consumer sees them in send order. A deployment may prefix every
 * name (`Kafka.TopicPrefix`); adapters apply the prefix, code uses these names.
 */
export const TOPICS = {
  /** Gateway → persister: accepted `send_msg` records. */
  messages: 'chat.messages',
  /** Gateway → persister and notifier: read cursors to advance. */
  reads: 'chat.reads',
  /** Persister → notifier: messages committed to Postgres. */
  stored: 'chat.stored',
  /** Api → notifier (and gateway caches): domain events after commit. */
  events: 'chat.events',
  /**
   * Persister → operators: records it read but could not store (unreadable, or refused by
   * the database), each as it was read, with headers saying where it came from and why
   * (`DEAD_LETTER_HEADERS`). Nothing consumes it; it is for inspection and replay.
   */
  deadLetter: 'chat.dead-letter',
  /**
   * Gateway → every gateway: an account's presence may have changed (a device connected or
   * left, the account hid or showed its presence). Keyed by account; each gateway reads it
   * in a group of its own and pushes `presence` to the local connections subscribed to it.
   */
  presence: 'chat.presence',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/**
 * Consumer groups of the workers: each partition of their topics is handled by one member
 * of the group. The gateways read their backlog to push back on senders.
 */
export const GROUPS = {
  /** Consumes chat.messages and chat.reads; writes Postgres. */
  persister: 'persister',
  /** Consumes chat.stored, chat.reads and chat.events; routes pushes. */
  notifier: 'notifier',
  /** Consumes chat.stored; writes the message search index (in the persister process). */
  indexer: 'indexer',
} as const;

/** Per-gateway delivery topic: the notifier routes each push to the node holding the socket. */
export function pushTopic(gatewayNodeId: string): string {
  return `push.${gatewayNodeId}`;
}

/** Job queues (BullMQ in production). */
export const QUEUES = {
  email: 'email',
  /** Notifications to devices of accounts with no socket online (docs/push-notifications.md). */
  push: 'push',
} as const;
