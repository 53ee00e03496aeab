import type { Config } from '@chat/config';
import { MessageSearchRepository, MessageStoreRepository, ReadCursorRepository } from '@chat/db';
import type { Logger } from '@chat/logger';
import { GROUPS, TOPICS } from '@chat/protocol';
import {
  DeadLetters,
  consumerBusConfig,
  instrumentBatches,
  roleOps,
  startRole,
  type OpsHost,
  type SharedPorts,
} from '@chat/runtime';
import { MessageWriter } from './messages/message-writer';
import { ReadWriter } from './reads/read-writer';
import { SearchIndexer } from './search/search-indexer';

/** The config slice the persister reads. */
export type PersisterConfig = Pick<Config, 'App' | 'Server' | 'Postgresql' | 'Kafka'>;

/**
 * A bus and database owned by the caller (a one-process runner shares one in-process bus
 * and one embedded database between the roles); the persister uses them but does not close
 * them. Default: its own, from config.
 */
export interface PersisterDeps extends Pick<SharedPorts, 'bus' | 'db'> {
  /** The process's one ops server, when it runs beside other roles (the standalone server). */
  ops?: OpsHost;
}

export interface RunningPersister {
  /** Stops consuming (the batch in hand finishes and commits), then closes the rest. */
  stop(): Promise<void>;
}

/** The consumer group of every persister: each partition is written by one member. */
export const PERSISTER_GROUP = GROUPS.persister;

/** The consumer group of every persister's search indexer, a group of its own on chat.stored. */
export const INDEXER_GROUP = GROUPS.indexer;

/**
 * Composition root of the persister (docs/development.md §3): database, bus, writers, then the consumer
 * last. One member of group `persister` consumes `chat.messages` and `chat.reads` from the
 * beginning (a new group must not skip what was sent before it existed); each batch is one
 * partition's records in order. Beside it, one member of group `indexer` consumes
 * `chat.stored`, also from the beginning, and writes the search index of what was stored:
 * a moment later and in a transaction of its own, so the index is not part of storing.
 */
export async function start(
  config: PersisterConfig,
  log: Logger,
  deps: PersisterDeps = {},
): Promise<RunningPersister> {
  return startRole('persister', log, async (kit) => {
    const busCfg = consumerBusConfig(config, 'persister');
    const db = await kit.database(config, deps.db);
    const bus = await kit.bus(busCfg, deps.bus);
    await bus.ensureTopics([TOPICS.messages, TOPICS.reads, TOPICS.stored, TOPICS.deadLetter]);

    // Ops: /healthz, /readyz (database, Kafka), /metrics with batch sizes and lag.
    const ops = roleOps(kit, {
      host: deps.ops,
      services: {
        database: db,
        kafka: kit.isOwn(bus) && busCfg.kind === 'kafka' ? bus : undefined,
      },
      lag: kit.isOwn(bus)
        ? { bus, group: PERSISTER_GROUP, topics: [TOPICS.messages, TOPICS.reads] }
        : undefined,
      listen: { host: config.Server.Host, port: config.Server.PersisterOpsPort },
    });
    await ops.serve();
    const { metrics } = ops;

    // What a group cannot store goes to chat.dead-letter, counted and logged at error level.
    const deadLetters = (group: string) =>
      new DeadLetters({
        bus: bus,
        group,
        metrics,
        log: log.child({ component: 'dead-letters' }),
      });
    const persisterLetters = deadLetters(PERSISTER_GROUP);
    const messages = new MessageWriter({
      store: new MessageStoreRepository(db.em),
      bus: bus,
      deadLetters: persisterLetters,
      log: log.child({ component: 'messages' }),
    });
    const reads = new ReadWriter({
      cursors: new ReadCursorRepository(db.em),
      deadLetters: persisterLetters,
      log: log.child({ component: 'reads' }),
    });
    const indexer = new SearchIndexer({
      search: new MessageSearchRepository(db.em),
      deadLetters: deadLetters(INDEXER_GROUP),
      log: log.child({ component: 'search' }),
    });
    // A batch holds the records of one partition of one topic. One instrumented handler
    // for both groups (a registry takes each metric once); the topic label tells the
    // indexer's batches (chat.stored) apart.
    const handle = instrumentBatches(metrics, PERSISTER_GROUP, (records) => {
      switch (records[0]?.topic) {
        case TOPICS.stored:
          return indexer.handle(records);
        case TOPICS.reads:
          return reads.handle(records);
        default:
          return messages.handle(records);
      }
    });
    // Started before the persister's consumer so it stops after it (reverse order): the
    // records of the persister's last batch may still reach the index before it stops.
    const indexing = await bus.subscribe(
      INDEXER_GROUP,
      [TOPICS.stored],
      handle,
      // Every partition's batch at once, indexed together in one statement.
      { fromBeginning: true, concurrency: config.Kafka.Partitions },
    );
    kit.add('indexer', () => indexing.stop());

    const subscription = await bus.subscribe(
      PERSISTER_GROUP,
      [TOPICS.messages, TOPICS.reads],
      handle,
      // Every partition's batch at once: the message writer stores the batches handed
      // over together in one transaction (group commit).
      { fromBeginning: true, concurrency: config.Kafka.Partitions },
    );
    kit.add('consumer', () => subscription.stop());
    log.info(
      {
        group: PERSISTER_GROUP,
        topics: [TOPICS.messages, TOPICS.reads],
        indexer: { group: INDEXER_GROUP, topics: [TOPICS.stored] },
      },
      'persister started',
    );

    // Reverse of start (docs/development.md §4): the consumer commits its batch before the bus flushes
    // and the database closes.
    return { stop: kit.stopper(() => ops.endpoints.markStopping()) };
  });
}
