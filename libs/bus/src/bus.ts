/**
 * The bus port (docs/architecture.md, ports and adapters: "topics, keyed records, consumer
 * groups, commit after handling"). Domain code and apps talk to `Bus`; config picks Kafka
 * or the in-process adapter (`createBus`), and both pass `busContract`.
 *
 * Topic names and group names given to a `Bus` are logical (`chat.messages`,
 * `persister`); an adapter may prefix them on the wire so deployments can share a cluster,
 * but records always carry the logical topic name.
 */

/** One record as a subscriber receives it. */
export interface BusRecord {
  /** Logical topic name, without any deployment prefix. */
  topic: string;
  partition: number;
  /** Position in the partition, a decimal integer (Kafka offsets are 64-bit). */
  offset: string;
  /** Partition key: records with equal keys share a partition and keep their order. */
  key: string;
  value: Buffer;
  /** Empty when the record was published without headers. */
  headers: Record<string, string>;
  /** When the record was appended, in milliseconds since the epoch. */
  timestamp: number;
}

/** What `publish` and `publishMany` accept. A string value is encoded as UTF-8. */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

/**
 * Handles one batch: records of a single partition of a single topic, in partition order.
 * Resolving commits the batch for the group; throwing means the same records are
 * delivered again after a backoff.
 */
export type BatchHandler = (records: BusRecord[]) => Promise<void>;

export interface SubscribeOptions {
  /**
   * Where a group that has never committed on a partition starts. `true` (the default):
   * the oldest retained record, so a new worker group processes everything that was
   * published before it existed (docs/architecture.md, Guarantees: no message loss). `false`:
   * the end of the partition as of `subscribe`, so the group sees every record published
   * after `subscribe` resolves and none from before. A group that has committed resumes
   * after its last commit either way.
   */
  fromBeginning?: boolean;
  /** Most records per handler call (default 500); larger fetches are split in order. */
  maxBatchSize?: number;
  /**
   * Batches of different partitions this member may handle at once (default 1). Each
   * partition still gets one batch at a time, in order; a handler that coalesces the
   * batches handed to it concurrently (one transaction for several partitions) gets more
   * done per round trip.
   */
  concurrency?: number;
}

/**
 * Delivers each record at least once, in key order, to one member of each group.
 *
 * - Order: records with the same key go to the same partition, and each partition is
 *   handled by one member of a group at a time, one batch after the other, in publish
 *   order (docs/architecture.md, Guarantees: order).
 * - At least once: a group's position on a partition advances only after the handler of
 *   the batch resolves; a throw, a crash or a rebalance means the records are delivered
 *   again, never skipped. Handlers must therefore be idempotent.
 */
export interface Bus {
  /**
   * Appends one record to `topic`, in the partition chosen by `key`. Resolves only after
   * the bus holds the record durably (Kafka: every in-sync replica has it, acks = all, with
   * an idempotent producer) so that any subscriber can read it; rejects with a retryable
   * `InfrastructureError` otherwise, in which case the record may or may not be stored and
   * the caller retries. Records of one key from calls that resolve are stored in call
   * order. A missing topic is created with the configured partition count.
   */
  publish(
    topic: string,
    key: string,
    value: Buffer | string,
    headers?: Record<string, string>,
  ): Promise<void>;

  /**
   * Appends several records, possibly to several topics, in one round trip where the
   * adapter can. Same durability as `publish`, for every record; records of one key keep
   * their order in the array. A rejection may leave some records stored and others not.
   */
  publishMany(records: OutgoingRecord[]): Promise<void>;

  /**
   * Joins `group` as one member, consuming `topics`. The group's partitions are split
   * among its live members; every record reaches one member of the group at least once
   * (and exactly once while nothing fails and membership does not change), in key order.
   * The group's position advances only after `handle` resolves for a batch; if `handle`
   * throws, the same batch is delivered again after a backoff, and no later record of that
   * partition is delivered before it succeeds. Several groups each receive every record.
   * Resolves once the member has joined; missing topics are created first.
   */
  subscribe(
    group: string,
    topics: string[],
    handle: BatchHandler,
    opts?: SubscribeOptions,
  ): Promise<Subscription>;

  /** Creates the topics that do not exist yet, with the configured partition count. */
  ensureTopics(topics: string[]): Promise<void>;

  /**
   * Records of `topics` that `group` has not committed yet, summed over partitions (a
   * partition the group never committed on counts from its oldest retained record): how
   * far the group is behind. The gateways read it to push back on senders before the
   * pipeline's queue grows (docs/architecture.md, Guarantees: backpressure).
   */
  backlog(group: string, topics: string[]): Promise<number>;

  /**
   * Where `group` stands on every partition of `topics`: committed offset, end offset and
   * the lag between them (the consumer-lag gauges of `/metrics`).
   */
  positions(group: string, topics: string[]): Promise<PartitionPosition[]>;

  /**
   * Resolves `true` once every record the bus holds only in this process's memory has been
   * handled and committed by the groups with a live member here, `false` if that has not
   * happened within `timeoutMs`. A one-process server waits for it before stopping its
   * workers, so what was acknowledged is handled before it exits. Kafka holds its records
   * on the brokers, not in this process: at once `true`.
   */
  caughtUp(timeoutMs: number): Promise<boolean>;

  /**
   * Resolves when the bus answers (Kafka: the cluster answers a metadata request on a
   * connection of the probe's own that fails fast; in-process: while open). `/readyz` asks it.
   */
  ping(): Promise<void>;

  /**
   * Stops every subscription (each finishes and commits its current batch), waits for
   * publishes in flight, then releases connections. Safe to call twice; afterwards
   * `publish` and `subscribe` reject.
   */
  close(): Promise<void>;
}

/** Where a consumer group stands on one partition (logical topic name). */
export interface PartitionPosition {
  topic: string;
  partition: number;
  /** The group's committed offset: the next record it will handle. */
  committed: number;
  /** The log end offset (high watermark): the offset the next record appended will get. */
  end: number;
  /** Records appended but not yet handled and committed by the group: `end − committed`. */
  lag: number;
}

export interface Subscription {
  /**
   * Stops fetching, lets the batch in hand finish and commit, then leaves the group so its
   * partitions move to the other members. A batch waiting for a retry is not retried; it
   * stays uncommitted and goes to the next owner. Safe to call twice.
   */
  stop(): Promise<void>;
}
