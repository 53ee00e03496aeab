import { createBus, type Bus, type BusConfig } from '@chat/bus';
import type { Config } from '@chat/config';
import { MessageStoreRepository, ReadCursorRepository, openDatabase } from '@chat/db';
import type { Logger } from '@chat/logger';
import { TOPICS } from '@chat/protocol';
import { busConfig, closeInOrder, requireDatabaseUrl, type Closable } from '@chat/runtime';
import { MessageWriter } from './messages/message-writer';
import { ReadWriter } from './reads/read-writer';

/** The config slice the persister reads. */
export type PersisterConfig = Pick<Config, 'App' | 'Postgresql' | 'Kafka'>;

export interface PersisterDeps {
  /**
   * A bus owned by the caller (a one-process runner shares one in-process bus between the
   * roles); the persister uses it but does not close it. Default: its own, from config.
   */
  bus?: Bus;
}

export interface RunningPersister {
  /** Stops consuming (the batch in hand finishes and commits), then closes the rest. */
  stop(): Promise<void>;
}

/** The consumer group of every persister: each partition is written by one member. */
export const PERSISTER_GROUP = 'persister';

/**
 * Kafka timing of a worker: a member that dies loses its partitions after 10 s instead of
 * kafkajs's 30 s, so its records are written by another member (or its restart) soon; and
 * an idle fetch waits at most a second, which bounds how long stopping takes.
 */
function workerBusConfig(config: PersisterConfig): BusConfig {
  const cfg = busConfig(config, 'persister');
  return cfg.kind === 'kafka'
    ? {
        ...cfg,
        consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 1_000 },
      }
    : cfg;
}

/**
 * Composition root of the persister (STYLE §3): database, bus, writers, then the consumer
 * last. One member of group `persister` consumes `chat.messages` and `chat.reads` from the
 * beginning (a new group must not skip what was sent before it existed); each batch is one
 * partition's records in order.
 */
export async function start(
  config: PersisterConfig,
  log: Logger,
  deps: PersisterDeps = {},
): Promise<RunningPersister> {
  const started: Closable[] = [];
  try {
    const db = await openDatabase(
      { url: requireDatabaseUrl(config), poolMax: config.Postgresql.PoolMax },
      log,
    );
    started.push({ name: 'database', close: () => db.close() });
    let bus = deps.bus;
    if (!bus) {
      const own = createBus(workerBusConfig(config), log);
      started.push({ name: 'bus', close: () => own.close() });
      bus = own;
      if (!config.Kafka.Brokers) {
        log.warn('Kafka.Brokers is not set: this persister only sees records of its own process');
      }
    }
    await bus.ensureTopics([TOPICS.messages, TOPICS.reads, TOPICS.stored]);

    const messages = new MessageWriter({
      store: new MessageStoreRepository(db.em),
      bus,
      log: log.child({ component: 'messages' }),
    });
    const reads = new ReadWriter({
      cursors: new ReadCursorRepository(db.em),
      log: log.child({ component: 'reads' }),
    });
    const subscription = await bus.subscribe(
      PERSISTER_GROUP,
      [TOPICS.messages, TOPICS.reads],
      // A batch holds the records of one partition of one topic.
      (records) =>
        records[0]?.topic === TOPICS.reads ? reads.handle(records) : messages.handle(records),
      { fromBeginning: true },
    );
    started.push({ name: 'consumer', close: () => subscription.stop() });
    log.info(
      { group: PERSISTER_GROUP, topics: [TOPICS.messages, TOPICS.reads] },
      'persister started',
    );

    let stopping: Promise<void> | undefined;
    // Reverse of start (STYLE §4): the consumer commits its batch before the bus flushes
    // and the database closes.
    return { stop: () => (stopping ??= closeInOrder(log, [...started].reverse())) };
  } catch (err) {
    await closeInOrder(log, started.reverse());
    throw err;
  }
}
