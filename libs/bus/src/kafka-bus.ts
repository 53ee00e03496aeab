import type { Logger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import {
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Message,
  type Producer,
  type TopicPartitionOffset,
} from 'kafkajs';
import type {
  BatchHandler,
  Bus,
  BusRecord,
  OutgoingRecord,
  PartitionPosition,
  SubscribeOptions,
  Subscription,
} from './bus';
import {
  interruptibleSleep,
  redeliveryDelayMs,
  runHandler,
  toBuffer,
  validateConcurrency,
  validateMaxBatchSize,
} from './delivery';
import { KafkaProbe } from './kafka-probe';
import { LazyAdmin } from './lazy-admin';
import { TopicNotReadyError, untilSettled } from './settling';

/** The slice of config the Kafka adapter reads; the app builds it from `Kafka.*`. */
export interface KafkaBusConfig {
  brokers: string[];
  clientId: string;
  /** Prepended to every topic name on the wire (`Kafka.TopicPrefix`). */
  topicPrefix: string;
  /**
   * Prepended to every consumer group id. Defaults to `topicPrefix`, so deployments that
   * share a cluster share neither topics nor groups.
   */
  groupPrefix?: string;
  /** Partitions of the topics this bus creates. */
  partitions: number;
  /** Replicas of the topics this bus creates. */
  replicationFactor: number;
  /**
   * How often a failed request is retried before `publish`, `ensureTopics` or `subscribe`
   * rejects (default 5, with kafkajs's exponential backoff).
   */
  retries?: number;
  /**
   * Consumer timing; kafkajs's defaults when absent. Tests lower them so that joins and
   * rebalances take milliseconds. The broker refuses a session timeout below its
   * `group.min.session.timeout.ms` (6 s by default).
   */
  consumer?: {
    sessionTimeoutMs?: number;
    rebalanceTimeoutMs?: number;
    heartbeatIntervalMs?: number;
    /** Longest a fetch waits for records; also bounds how late an idle member notices a rebalance. */
    maxWaitTimeMs?: number;
  };
}

/** One produce request carries at most this much, so a burst cannot exceed request limits. */
const MAX_FLUSH_RECORDS = 1000;
const MAX_FLUSH_BYTES = 512 * 1024;
/** How often a member waiting to redeliver a batch heartbeats and checks for a stop. */
const REDELIVERY_TICK_MS = 100;
const DEFAULT_RETRIES = 5;
/** How long `backlog` asks again while the broker settles a partition's leader. */
const BACKLOG_PATIENCE_MS = 5000;

interface PendingPublish {
  records: OutgoingRecord[];
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * The messages of the broker's error codes that kafkajs retries by itself (its own table, so
 * the list follows the pinned version): "the coordinator is loading", "no leader for this
 * partition" and the like, which a broker answers while it starts or moves a partition.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module, no types
const kafkaErrors = require('kafkajs/src/protocol/error') as {
  errorCodes: { message: string; retriable: boolean }[];
};
const RETRIABLE_BROKER_ERRORS: ReadonlySet<string> = new Set(
  kafkaErrors.errorCodes.filter((e) => e.retriable).map((e) => e.message),
);

/**
 * kafkajs logs through this: warnings and errors go to the app's logger (kafkajs's own
 * level is set to WARN, so nothing chattier is produced). A broker's answer with a
 * retriable error is a warning: kafkajs retries the request, and if the retries run out
 * the producer or consumer fails, which the bus reports as an error itself.
 */
export function kafkaLogCreator(log: Logger) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry): void => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
      const retried =
        namespace === 'Connection' &&
        typeof fields.error === 'string' &&
        RETRIABLE_BROKER_ERRORS.has(fields.error);
      if (level === logLevel.ERROR && !retried) {
        log.error({ namespace, ...fields }, message);
      } else if (message.startsWith('Limiting retries for the idempotent producer')) {
        // Retries are bounded on purpose, so that `publish` can reject (Bus.publish).
        log.debug({ namespace, ...fields }, message);
      } else {
        log.warn({ namespace, ...fields }, message);
      }
    };
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}

function wrap(err: unknown, what: string): InfrastructureError {
  return err instanceof InfrastructureError
    ? err
    : new InfrastructureError(`bus: ${what} failed`, err);
}

/**
 * The Kafka adapter (docs/architecture.md, Guarantees). Publishing uses an idempotent producer
 * with acks = all, so a resolved `publish` means every in-sync replica holds the record;
 * calls made while a request is in flight are coalesced into the next request, in call
 * order. Each subscription is one kafkajs consumer (one group member) driven by
 * `eachBatch` with auto-resolve and auto-commit off: offsets are resolved and committed
 * only after the handler resolves, and a throw delivers the same records again after a
 * backoff, heartbeating meanwhile so the member keeps its partitions.
 */
export class KafkaBus implements Bus {
  private readonly log: Logger;
  private readonly kafka: Kafka;
  private readonly groupPrefix: string;
  private readonly retries: number;
  private producerReady?: Promise<Producer>;
  /** Producers being disconnected after a failed send (`retireProducer`). */
  private readonly retiring = new Set<Promise<void>>();
  private readonly admins: LazyAdmin;
  /** Logical names of topics known to exist. */
  private readonly knownTopics = new Set<string>();
  private readonly subscriptions = new Set<Subscription>();
  /** Readiness and consumer positions, on an admin connection of its own that fails fast. */
  private readonly probe: KafkaProbe;
  private queue: PendingPublish[] = [];
  private flushing?: Promise<void>;
  private closing?: Promise<void>;
  /** Backlog reads under way (`backlog`), awaited by `close` before the admin client goes. */
  private readonly backlogReads = new Set<Promise<number>>();

  constructor(
    private readonly cfg: KafkaBusConfig,
    log: Logger,
  ) {
    this.log = log.child({ component: 'bus', adapter: 'kafka' });
    this.groupPrefix = cfg.groupPrefix ?? cfg.topicPrefix;
    this.retries = cfg.retries ?? DEFAULT_RETRIES;
    this.kafka = new Kafka({
      clientId: cfg.clientId,
      brokers: cfg.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.log.child({ component: 'kafkajs' })),
      retry: { retries: this.retries },
    });
    this.admins = new LazyAdmin(this.kafka);
    this.probe = new KafkaProbe(cfg);
  }

  publish(
    topic: string,
    key: string,
    value: Buffer | string,
    headers?: Record<string, string>,
  ): Promise<void> {
    return this.publishMany([{ topic, key, value, headers }]);
  }

  publishMany(records: OutgoingRecord[]): Promise<void> {
    if (this.closing) return Promise.reject(closedError());
    if (records.length === 0) return Promise.resolve();
    const bytes = records.reduce((n, r) => n + Buffer.byteLength(r.value) + r.key.length, 0);
    return new Promise((resolve, reject) => {
      this.queue.push({ records, bytes, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  async subscribe(
    group: string,
    topics: string[],
    handle: BatchHandler,
    opts: SubscribeOptions = {},
  ): Promise<Subscription> {
    if (this.closing) throw closedError();
    if (topics.length === 0) throw new RangeError('subscribe needs at least one topic');
    const maxBatchSize = validateMaxBatchSize(opts.maxBatchSize);
    const concurrency = validateConcurrency(opts.concurrency);
    const fromBeginning = opts.fromBeginning ?? true;
    const groupId = this.groupPrefix + group;
    const unique = [...new Set(topics)];
    const physical = unique.map((t) => this.cfg.topicPrefix + t);
    const log = this.log.child({ group });

    await this.ensureTopics(unique);
    const startAt = fromBeginning ? [] : await this.endsForNewGroup(groupId, physical);

    const c = this.cfg.consumer ?? {};
    const newConsumer = (): Consumer =>
      this.kafka.consumer({
        groupId,
        sessionTimeout: c.sessionTimeoutMs,
        rebalanceTimeout: c.rebalanceTimeoutMs,
        heartbeatInterval: c.heartbeatIntervalMs,
        maxWaitTimeInMs: c.maxWaitTimeMs,
        allowAutoTopicCreation: false,
      });
    const join = async (member: Consumer): Promise<void> => {
      await member.connect();
      await member.subscribe({ topics: physical, fromBeginning });
      await member.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: concurrency,
        eachBatch: (payload) => this.handleBatch(payload, handle, maxBatchSize, log),
      });
    };
    /** The member now in the group: replaced when one crashes for good (`rejoin`). */
    let consumer = newConsumer();
    let hasJoined = false;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      log.debug(
        { memberId: payload.memberId, assignment: payload.memberAssignment },
        'bus member joined',
      );
      if (hasJoined) return;
      hasJoined = true;
      // Emitted synchronously inside the join, before the first fetch: the seek decides
      // where that fetch starts. Only assigned partitions, or a stale seek would rewind a
      // partition this member receives in a later rebalance.
      try {
        for (const { topic, partition, offset } of startAt) {
          if (payload.memberAssignment[topic]?.includes(partition)) {
            consumer.seek({ topic, partition, offset });
          }
        }
      } catch (err) {
        // Never break the join from a listener; the commit below still stores the start.
        log.warn({ err }, 'bus could not seek to the start position');
      }
    });

    let stopping: Promise<void> | undefined;
    const ended = () => stopping !== undefined || this.closing !== undefined;
    /**
     * kafkajs restarts a consumer after a retriable error itself; after any other (seen
     * around broker restarts) the consumer stays stopped and the group would lose this member
     * for good while the process looks healthy. A new member joins instead, after a backoff,
     * and resumes from the committed offsets, as any member taking the partitions over would.
     */
    const rejoin = async (crashed: Consumer): Promise<void> => {
      await crashed.disconnect().catch(() => undefined);
      for (let attempt = 1; !ended(); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, redeliveryDelayMs(attempt)));
        if (ended()) return;
        const member = newConsumer();
        watchCrash(member);
        consumer = member;
        try {
          await join(member);
          log.warn({ attempt }, 'bus consumer joined again after a crash');
          return;
        } catch (err) {
          log.error({ err, attempt }, 'bus consumer could not join again');
          await member.disconnect().catch(() => undefined);
        }
      }
    };
    const watchCrash = (member: Consumer): void => {
      member.on(member.events.CRASH, ({ payload }) => {
        if (payload.restart || ended()) return;
        log.error({ err: payload.error }, 'bus consumer crashed: a new member will join');
        void rejoin(member);
      });
    };
    watchCrash(consumer);

    const subscription: Subscription = {
      stop: () =>
        (stopping ??= (async () => {
          try {
            // Stops fetching, waits for the batch in hand (which commits), leaves the group.
            await consumer.disconnect();
          } catch (err) {
            throw wrap(err, `stopping the ${group} consumer`);
          } finally {
            this.subscriptions.delete(subscription);
          }
          log.debug('bus member left');
        })()),
    };
    this.subscriptions.add(subscription);

    try {
      await join(consumer);
    } catch (err) {
      await subscription.stop().catch(() => undefined);
      throw wrap(err, `subscribing ${group} to ${unique.join(', ')}`);
    }
    if (startAt.length) {
      // Stored too, so a partition that changes hands before this member commits on it
      // starts at the same place for the next owner rather than at its own "latest".
      await consumer
        .commitOffsets(startAt)
        .catch((err: unknown) => log.warn({ err }, 'bus could not store the start position'));
    }
    if (this.closing) {
      // close() ran while this member was joining and could not see it yet.
      await subscription.stop();
      throw closedError();
    }
    return subscription;
  }

  async ensureTopics(topics: string[]): Promise<void> {
    if (this.closing) throw closedError();
    await this.createMissingTopics(topics);
  }

  /** Without the closed check: publishes accepted before `close` still get their topics. */
  private async createMissingTopics(topics: string[]): Promise<void> {
    const missing = [...new Set(topics)].filter((t) => !this.knownTopics.has(t));
    if (missing.length === 0) return;
    try {
      const admin = await this.admin();
      const existing = new Set(await admin.listTopics());
      const toCreate = missing.map((t) => this.cfg.topicPrefix + t).filter((t) => !existing.has(t));
      if (toCreate.length) {
        // Resolves false when another process created them first: that is fine too. The
        // leaders are waited for below rather than by kafkajs, whose wait gives up at once
        // when a busy broker's metadata does not list a just-created topic yet
        // (UNKNOWN_TOPIC_OR_PARTITION), which `untilSettled` waits out.
        await admin.createTopics({
          waitForLeaders: false,
          topics: toCreate.map((topic) => ({
            topic,
            numPartitions: this.cfg.partitions,
            replicationFactor: this.cfg.replicationFactor,
          })),
        });
        this.log.info({ topics: toCreate }, 'bus topics created');
      }
      // Until every partition has a leader: topics created just now, by this process or by
      // another a moment ago (listed, leaders not yet elected).
      // Then until each partition's leader answers for it: a leader named in the metadata
      // may still refuse a moment (NOT_LEADER_FOR_PARTITION) while it loads the partition.
      const physical = missing.map((t) => this.cfg.topicPrefix + t);
      await untilSettled(async () => {
        const { topics: found } = await admin.fetchTopicMetadata({ topics: physical });
        const leaderless = found.filter((t) => t.partitions.some((p) => p.leader < 0));
        if (leaderless.length) {
          throw new TopicNotReadyError(leaderless.map((t) => t.name).join(', '));
        }
        for (const topic of physical) await admin.fetchTopicOffsets(topic);
      });
    } catch (err) {
      throw wrap(err, `creating topics ${missing.join(', ')}`);
    }
    for (const t of missing) this.knownTopics.add(t);
  }

  async backlog(group: string, topics: string[]): Promise<number> {
    if (this.closing) throw closedError();
    const physical = [...new Set(topics)].map((t) => this.cfg.topicPrefix + t);
    // A partition moving or just created answers "not the leader" a moment: asked again,
    // but not once the bus is closing (close waits for the reads under way, so none reaches
    // the admin client after it disconnected).
    const reading = untilSettled(() => {
      if (this.closing) throw closedError();
      return this.readBacklog(group, physical);
    }, BACKLOG_PATIENCE_MS);
    this.backlogReads.add(reading);
    try {
      return await reading;
    } catch (err) {
      throw wrap(err, `reading the backlog of ${group}`);
    } finally {
      this.backlogReads.delete(reading);
    }
  }

  private async readBacklog(group: string, physical: string[]): Promise<number> {
    const admin = await this.admin();
    const committed = await admin.fetchOffsets({
      groupId: this.groupPrefix + group,
      topics: physical,
    });
    let behind = 0;
    for (const { topic, partitions } of committed) {
      const ends = await admin.fetchTopicOffsets(topic);
      for (const end of ends) {
        const at = Number(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
        behind += Math.max(0, Number(end.high) - (at >= 0 ? at : Number(end.low)));
      }
    }
    return behind;
  }

  positions(group: string, topics: string[]): Promise<PartitionPosition[]> {
    if (this.closing) return Promise.reject(closedError());
    return this.probe.positions(group, [...new Set(topics)]);
  }

  ping(): Promise<void> {
    if (this.closing) return Promise.reject(closedError());
    return this.probe.ping();
  }

  /** Records live on the brokers, not in this process: nothing to wait for (Bus.caughtUp). */
  async caughtUp(_timeoutMs: number): Promise<boolean> {
    return true;
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    const failures: unknown[] = [];
    const stops = await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    for (const s of stops) if (s.status === 'rejected') failures.push(s.reason);
    // Publishes accepted before close get their answer (docs/development.md §4: wait for produce acks).
    await this.flushing;
    const producer = await this.producerReady?.catch(() => undefined);
    await producer?.disconnect().catch((err: unknown) => failures.push(err));
    await Promise.allSettled([...this.backlogReads]);
    await Promise.all(this.retiring);
    await this.probe.close();
    await this.admins.close().catch((err: unknown) => failures.push(err));
    if (failures.length) {
      throw new InfrastructureError('bus: close failed', new AggregateError(failures), false);
    }
    this.log.debug('bus closed');
  }

  private producer(): Promise<Producer> {
    return (this.producerReady ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: this.retries },
      });
      try {
        await producer.connect();
        return producer;
      } catch (err) {
        this.producerReady = undefined;
        await producer.disconnect().catch(() => undefined);
        throw err;
      }
    })());
  }

  private admin(): Promise<Admin> {
    return this.admins.get();
  }

  /**
   * Sends queued publishes, oldest first, one request at a time (the idempotent producer
   * serialises requests per broker anyway); whatever queues up meanwhile rides on the next
   * request. Clears `flushing` synchronously after the last check, so no publish is
   * left behind.
   */
  private async flush(): Promise<void> {
    // Lets the publishes of the current tick share the first request.
    await Promise.resolve();
    while (this.queue.length) {
      const batch = this.takeBatch();
      try {
        await this.send(batch.flatMap((p) => p.records));
        for (const p of batch) p.resolve();
      } catch (err) {
        const error = wrap(err, 'publish');
        for (const p of batch) p.reject(error);
      }
    }
    this.flushing = undefined;
  }

  private takeBatch(): PendingPublish[] {
    let count = 0;
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length) {
      const next = this.queue[n];
      if (
        n > 0 &&
        (count + next.records.length > MAX_FLUSH_RECORDS || bytes + next.bytes > MAX_FLUSH_BYTES)
      ) {
        break;
      }
      count += next.records.length;
      bytes += next.bytes;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async send(records: OutgoingRecord[]): Promise<void> {
    await this.createMissingTopics(records.map((r) => r.topic));
    const byTopic = new Map<string, Message[]>();
    for (const r of records) {
      const topic = this.cfg.topicPrefix + r.topic;
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      messages.push({ key: r.key, value: toBuffer(r.value), headers: r.headers });
    }
    const producer = await this.producer();
    try {
      // acks -1: every in-sync replica has the records before the request succeeds.
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      this.retireProducer(producer, err);
      throw err;
    }
  }

  /**
   * After a failed send the idempotent producer's sequence numbers may no longer match the
   * broker's: kafkajs rolls its numbers back when a request fails, although the broker may
   * have written the records (a lost answer, a broker restart), and the next batch with those
   * numbers is then refused ("out of order sequence number") again and again. The next send
   * therefore gets a new producer, whose new producer id starts its numbers afresh; whatever
   * the failed request did write is published again by the caller's retry under the same
   * record ids, which consumers store once.
   */
  private retireProducer(producer: Producer, cause: unknown): void {
    if (this.closing) return;
    // Sends run one at a time (`flush`), so the current producer is the one that failed.
    this.producerReady = undefined;
    this.log.warn({ err: cause }, 'bus publish failed: the next publish uses a new producer');
    const retired = producer.disconnect().catch(() => undefined);
    this.retiring.add(retired);
    void retired.finally(() => this.retiring.delete(retired));
  }

  /**
   * SubscribeOptions.fromBeginning = false. kafkajs resolves "latest" lazily, at the first
   * fetch after joining, so a record published just after `subscribe` resolved could fall
   * before it. Instead the end of each partition the group has never committed on is read
   * here, before joining; the member seeks there and stores it. Only for a group with no
   * live member: a live member already holds a position of its own. Empty when there is
   * nothing to position.
   */
  private async endsForNewGroup(
    groupId: string,
    topics: string[],
  ): Promise<TopicPartitionOffset[]> {
    try {
      return await untilSettled(() => this.readEnds(groupId, topics));
    } catch (err) {
      throw wrap(err, `reading where the new group ${groupId} starts`);
    }
  }

  private async readEnds(groupId: string, topics: string[]): Promise<TopicPartitionOffset[]> {
    const admin = await this.admin();
    const committed = await admin.fetchOffsets({ groupId, topics });
    const unset = committed.flatMap(({ topic, partitions }) =>
      partitions
        .filter((p) => Number(p.offset) < 0)
        .map((p) => ({ topic, partition: p.partition })),
    );
    if (unset.length === 0) return [];
    const { groups } = await admin.describeGroups([groupId]);
    const state = groups[0]?.state ?? 'Dead';
    if (state !== 'Empty' && state !== 'Dead') return [];
    const ends = new Map<string, string>();
    for (const topic of new Set(unset.map((u) => u.topic))) {
      for (const o of await admin.fetchTopicOffsets(topic))
        ends.set(`${topic}/${o.partition}`, o.high);
    }
    return unset.map(({ topic, partition }) => ({
      topic,
      partition,
      offset: ends.get(`${topic}/${partition}`) ?? '0',
    }));
  }

  /**
   * One fetched batch of one partition, handed over in chunks of `maxBatchSize`. Each chunk
   * is committed only after the handler resolves; a throw delivers the same chunk again
   * after a backoff. Stopping, or losing the partition in a rebalance (heartbeat throws),
   * leaves the rest uncommitted for the next owner. Kafka errors are rethrown as they are so
   * kafkajs can rejoin the group.
   */
  private async handleBatch(
    payload: EachBatchPayload,
    handle: BatchHandler,
    maxBatchSize: number,
    log: Logger,
  ): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets } =
      payload;
    const topic = batch.topic.slice(this.cfg.topicPrefix.length);
    const records = batch.messages.map((m) => toRecord(topic, batch.partition, m));
    for (let i = 0; i < records.length; i += maxBatchSize) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = records.slice(i, i + maxBatchSize);
      for (let attempt = 1; ; attempt++) {
        try {
          await runHandler(handle, chunk);
          break;
        } catch (err) {
          const delayMs = redeliveryDelayMs(attempt);
          log.warn(
            { err, topic, partition: batch.partition, offset: chunk[0].offset, attempt, delayMs },
            'bus handler failed, delivering the batch again',
          );
          if (!(await waitToRedeliver(delayMs, payload))) return;
        }
      }
      resolveOffset(chunk[chunk.length - 1].offset);
      await commitOffsetsIfNecessary(uncommittedOffsets());
      await heartbeat();
    }
  }
}

function toRecord(topic: string, partition: number, m: KafkaMessage): BusRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : '',
    value: m.value ?? Buffer.alloc(0),
    headers: decodeHeaders(m.headers),
    timestamp: Number(m.timestamp),
  };
}

/**
 * Waits before a redelivery while heartbeating, so the member keeps its partitions.
 * False when the consumer is stopping or the partition was sought elsewhere; a rebalance
 * makes `heartbeat` throw, which ends the batch and lets kafkajs rejoin.
 */
async function waitToRedeliver(delayMs: number, payload: EachBatchPayload): Promise<boolean> {
  const until = Date.now() + delayMs;
  for (;;) {
    if (!payload.isRunning() || payload.isStale()) return false;
    const left = until - Date.now();
    if (left <= 0) return true;
    await interruptibleSleep(Math.min(left, REDELIVERY_TICK_MS)).done;
    await payload.heartbeat();
  }
}

function closedError(): InfrastructureError {
  return new InfrastructureError('bus: closed', undefined, false);
}
