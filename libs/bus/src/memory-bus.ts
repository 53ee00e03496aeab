import type { Logger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
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

export interface MemoryBusConfig {
  /** Partitions of every topic: the most members of one group that can work at once. */
  partitions: number;
  /**
   * Records each partition keeps once every group has committed them (default 10 000), so
   * a group that subscribes later from the beginning still finds recent history. Records
   * some group has not committed yet are never dropped: memory grows while a group lags.
   */
  retainedRecordsPerPartition?: number;
  /**
   * Topic → consumer group whose commit makes a record of that topic durable. This bus
   * keeps records in process memory only, so a publish to such a topic resolves once that
   * group has handled and committed the record (the persister's database commit, in the
   * one-process server), never earlier: an ack given after `publish` then means what it
   * means with Kafka (docs/architecture.md, Guarantees). Other topics resolve on append.
   */
  durableAfter?: Record<string, string>;
}

/** A publish waiting for its record's group commit (`MemoryBusConfig.durableAfter`). */
interface DurableWaiter {
  offset: number;
  resolve(): void;
  reject(err: unknown): void;
}

const DEFAULT_RETAINED_RECORDS = 10_000;
/** How often `caughtUp` looks at the groups' positions. */
const CAUGHT_UP_POLL_MS = 20;
/** Below this many dropped slots the log array is not worth copying. */
const COMPACT_AFTER = 1024;

/** FNV-1a (32 bit) over the key's UTF-8 bytes: stable across processes and restarts. */
function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** One partition: an append-only list whose head is dropped by retention. */
class PartitionLog {
  private records: (BusRecord | undefined)[] = [];
  /** Index in `records` of the oldest retained record. */
  private head = 0;
  /** Offset of the oldest retained record. */
  firstOffset = 0;

  get endOffset(): number {
    return this.firstOffset + this.records.length - this.head;
  }

  get size(): number {
    return this.records.length - this.head;
  }

  append(record: Omit<BusRecord, 'offset'>): void {
    this.records.push({ ...record, offset: String(this.endOffset) });
  }

  read(fromOffset: number, max: number): BusRecord[] {
    const start = this.head + fromOffset - this.firstOffset;
    return this.records.slice(start, start + max) as BusRecord[];
  }

  /** Drops every record below `offset`. */
  dropBefore(offset: number): void {
    const count = Math.min(offset, this.endOffset) - this.firstOffset;
    if (count <= 0) return;
    this.records.fill(undefined, this.head, this.head + count);
    this.head += count;
    this.firstOffset += count;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }
}

/** One `subscribe` call: a member of a group with its own delivery loop. */
class Member {
  isStopped = false;
  /** Next partition to look at, so a busy partition cannot starve the others. */
  cursor = 0;
  loop: Promise<void> = Promise.resolve();
  /** One per delivery loop waiting for work (`SubscribeOptions.concurrency` loops). */
  private idleWaiters: (() => void)[] = [];
  private backoffSleep?: { wake(): void };

  constructor(
    readonly topics: string[],
    readonly handle: BatchHandler,
    readonly maxBatchSize: number,
  ) {}

  /** Something changed (a record, a rebalance, a released partition): look for work. */
  notify(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  idle(): Promise<void> {
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async backoff(ms: number): Promise<void> {
    const sleep = interruptibleSleep(ms);
    this.backoffSleep = sleep;
    await sleep.done;
    this.backoffSleep = undefined;
  }

  stop(): void {
    this.isStopped = true;
    this.notify();
    this.backoffSleep?.wake();
  }
}

class Group {
  /** Live members in join order; partition p of a topic goes to member p mod n. */
  readonly members: Member[] = [];
  /** Committed position (next offset to deliver) per topic and partition. */
  readonly positions = new Map<string, number[]>();
  /** Partitions with a batch in hand, so a new owner waits for the old one to finish. */
  readonly busy = new Set<string>();

  constructor(readonly name: string) {}

  owner(topic: string, partition: number): Member | undefined {
    const eligible = this.members.filter((m) => !m.isStopped && m.topics.includes(topic));
    return eligible.length ? eligible[partition % eligible.length] : undefined;
  }

  notifyAll(): void {
    for (const member of this.members) member.notify();
  }
}

interface Claim {
  id: string;
  topic: string;
  partition: number;
  records: BusRecord[];
}

/**
 * The in-process bus (docs/architecture.md, ports and adapters: embedded default), with the
 * semantics of the Kafka adapter: partitions chosen by key hash, per-partition order,
 * consumer groups each with their own committed position, partitions split among a
 * group's members, redelivery after a throw, commit only after the handler resolves.
 *
 * Everything lives in this process's memory: records are lost when it exits, which is the
 * embedded server's documented trade-off. Retention: see `MemoryBusConfig`.
 */
export class MemoryBus implements Bus {
  private readonly log: Logger;
  private readonly retained: number;
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, Group>();
  private readonly subscriptions = new Set<Subscription>();
  /** `topic\0partition` → publishes waiting for the durable group, in offset order. */
  private readonly durableWaiters = new Map<string, DurableWaiter[]>();
  private closing?: Promise<void>;

  constructor(
    private readonly cfg: MemoryBusConfig,
    log: Logger,
  ) {
    if (!Number.isInteger(cfg.partitions) || cfg.partitions < 1) {
      throw new RangeError(`partitions must be a positive integer, got ${cfg.partitions}`);
    }
    this.retained = cfg.retainedRecordsPerPartition ?? DEFAULT_RETAINED_RECORDS;
    this.log = log.child({ component: 'bus', adapter: 'memory' });
  }

  async publish(
    topic: string,
    key: string,
    value: Buffer | string,
    headers?: Record<string, string>,
  ): Promise<void> {
    await this.publishMany([{ topic, key, value, headers }]);
  }

  async publishMany(records: OutgoingRecord[]): Promise<void> {
    this.assertOpen();
    const touched = new Set<string>();
    const durable: Promise<void>[] = [];
    const timestamp = Date.now();
    for (const r of records) {
      const partitions = this.topic(r.topic);
      const partition = partitionOf(r.key, partitions.length);
      const log = partitions[partition];
      const offset = log.endOffset;
      log.append({
        topic: r.topic,
        partition,
        key: r.key,
        value: toBuffer(r.value),
        headers: { ...r.headers },
        timestamp,
      });
      if (log.size > this.retained) this.applyRetention(r.topic, partition);
      touched.add(r.topic);
      if (this.cfg.durableAfter?.[r.topic] !== undefined) {
        durable.push(this.untilCommitted(r.topic, partition, offset));
      }
    }
    for (const group of this.groups.values()) {
      for (const member of group.members) {
        if (member.topics.some((t) => touched.has(t))) member.notify();
      }
    }
    await Promise.all(durable);
  }

  private untilCommitted(topic: string, partition: number, offset: number): Promise<void> {
    const id = `${topic}\u0000${partition}`;
    return new Promise((resolve, reject) => {
      let waiters = this.durableWaiters.get(id);
      if (!waiters) this.durableWaiters.set(id, (waiters = []));
      waiters.push({ offset, resolve, reject });
    });
  }

  /** After `group` committed up to `position`: the publishes that waited for it resolve. */
  private releaseDurable(group: string, topic: string, partition: number, position: number) {
    if (this.cfg.durableAfter?.[topic] !== group) return;
    const waiters = this.durableWaiters.get(`${topic}\u0000${partition}`);
    if (!waiters) return;
    let n = 0;
    while (n < waiters.length && waiters[n].offset < position) waiters[n++].resolve();
    if (n > 0) waiters.splice(0, n);
  }

  async subscribe(
    group: string,
    topics: string[],
    handle: BatchHandler,
    opts: SubscribeOptions = {},
  ): Promise<Subscription> {
    this.assertOpen();
    if (topics.length === 0) throw new RangeError('subscribe needs at least one topic');
    const maxBatchSize = validateMaxBatchSize(opts.maxBatchSize);
    const concurrency = validateConcurrency(opts.concurrency);
    const fromBeginning = opts.fromBeginning ?? true;
    const g = this.group(group);
    for (const topic of new Set(topics)) {
      const partitions = this.topic(topic);
      // A group that has never consumed this topic starts now, at the chosen end, so
      // "records published after subscribe resolves" is exact (see SubscribeOptions).
      if (!g.positions.has(topic)) {
        g.positions.set(
          topic,
          partitions.map((p) => (fromBeginning ? p.firstOffset : p.endOffset)),
        );
      }
    }

    const member = new Member([...new Set(topics)], handle, maxBatchSize);
    g.members.push(member);
    g.notifyAll();
    // Each loop claims a partition of its own (`busy`), so a partition never has two
    // batches in hand.
    member.loop = Promise.all(
      Array.from({ length: concurrency }, () => this.consume(g, member)),
    ).then(() => undefined);
    this.log.debug({ group, topics }, 'bus member joined');

    let stopping: Promise<void> | undefined;
    const subscription: Subscription = {
      stop: () =>
        (stopping ??= (async () => {
          member.stop();
          await member.loop;
          g.members.splice(g.members.indexOf(member), 1);
          g.notifyAll();
          this.subscriptions.delete(subscription);
          this.log.debug({ group, topics }, 'bus member left');
        })()),
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async ensureTopics(topics: string[]): Promise<void> {
    this.assertOpen();
    for (const topic of topics) this.topic(topic);
  }

  async backlog(group: string, topics: string[]): Promise<number> {
    return (await this.positions(group, topics)).reduce((sum, p) => sum + p.lag, 0);
  }

  async positions(group: string, topics: string[]): Promise<PartitionPosition[]> {
    this.assertOpen();
    const committedOf = this.groups.get(group)?.positions;
    const out: PartitionPosition[] = [];
    for (const topic of new Set(topics)) {
      const committed = committedOf?.get(topic);
      this.topic(topic).forEach((log, partition) => {
        // Nothing committed yet: every retained record is still ahead of the group.
        const at = Math.max(committed?.[partition] ?? 0, log.firstOffset);
        out.push({ topic, partition, committed: at, end: log.endOffset, lag: log.endOffset - at });
      });
    }
    return out;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  /**
   * Resolves `true` once every group with a live member has handled and committed every
   * record of the topics its members consume, `false` if that has not happened within
   * `timeoutMs`. Records live only in this process: a one-process server waits for this
   * before stopping its workers, so what was acknowledged is handled before it exits.
   */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.isCaughtUp()) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, CAUGHT_UP_POLL_MS));
    }
  }

  private isCaughtUp(): boolean {
    for (const group of this.groups.values()) {
      const live = group.members.filter((m) => !m.isStopped);
      const topics = new Set(live.flatMap((m) => m.topics));
      for (const topic of topics) {
        const positions = group.positions.get(topic) ?? [];
        const logs = this.topic(topic);
        if (logs.some((log, p) => (positions[p] ?? 0) < log.endOffset)) return false;
      }
    }
    return true;
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.stop()));
      // Never committed by their group: not durable, so the publish fails (no ack).
      const closed = new InfrastructureError('bus: closed before the record was handled');
      for (const waiters of this.durableWaiters.values()) for (const w of waiters) w.reject(closed);
      this.durableWaiters.clear();
      this.log.debug('bus closed');
    })());
  }

  private assertOpen(): void {
    if (this.closing) throw new InfrastructureError('bus: closed', undefined, false);
  }

  private topic(name: string): PartitionLog[] {
    let partitions = this.topics.get(name);
    if (!partitions) {
      partitions = Array.from({ length: this.cfg.partitions }, () => new PartitionLog());
      this.topics.set(name, partitions);
    }
    return partitions;
  }

  private group(name: string): Group {
    let group = this.groups.get(name);
    if (!group) {
      group = new Group(name);
      this.groups.set(name, group);
    }
    return group;
  }

  /** One member's loop: claim a partition with records, deliver a batch, repeat. */
  private async consume(group: Group, member: Member): Promise<void> {
    while (!member.isStopped) {
      const claim = this.claim(group, member);
      if (!claim) {
        await member.idle();
        continue;
      }
      try {
        await this.deliver(group, member, claim);
      } finally {
        group.busy.delete(claim.id);
        group.notifyAll();
      }
    }
  }

  private claim(group: Group, member: Member): Claim | undefined {
    const candidates: [string, number][] = [];
    for (const topic of member.topics) {
      const count = this.topic(topic).length;
      for (let p = 0; p < count; p++) candidates.push([topic, p]);
    }
    for (let i = 0; i < candidates.length; i++) {
      const index = (member.cursor + i) % candidates.length;
      const [topic, partition] = candidates[index];
      const id = `${topic}\u0000${partition}`;
      if (group.busy.has(id) || group.owner(topic, partition) !== member) continue;
      const log = this.topic(topic)[partition];
      const positions = group.positions.get(topic)!;
      // Only records no group still needed were dropped (see applyRetention); a position
      // below the head can only be one that nothing will ever read.
      const from = Math.max(positions[partition], log.firstOffset);
      if (from >= log.endOffset) continue;
      group.busy.add(id);
      member.cursor = index + 1;
      return { id, topic, partition, records: log.read(from, member.maxBatchSize) };
    }
    return undefined;
  }

  /**
   * Hands one batch to the member's handler until it resolves, then commits. After a throw
   * it waits and delivers the same records again, unless the member stopped or lost the
   * partition meanwhile: then the batch stays uncommitted for the next owner.
   */
  private async deliver(group: Group, member: Member, claim: Claim): Promise<void> {
    const { topic, partition, records } = claim;
    for (let attempt = 1; ; attempt++) {
      try {
        await runHandler(member.handle, records);
        break;
      } catch (err) {
        const delayMs = redeliveryDelayMs(attempt);
        this.log.warn(
          { err, group: group.name, topic, partition, offset: records[0].offset, attempt, delayMs },
          'bus handler failed, delivering the batch again',
        );
        await member.backoff(delayMs);
        if (member.isStopped || group.owner(topic, partition) !== member) return;
      }
    }
    const positions = group.positions.get(topic)!;
    positions[partition] = Number(records[records.length - 1].offset) + 1;
    this.releaseDurable(group.name, topic, partition, positions[partition]);
    this.applyRetention(topic, partition);
  }

  /** Drops records every group has committed, keeping the newest `retained` of them. */
  private applyRetention(topic: string, partition: number): void {
    const log = this.topic(topic)[partition];
    let keepFrom = log.endOffset - this.retained;
    for (const group of this.groups.values()) {
      const position = group.positions.get(topic)?.[partition];
      if (position !== undefined) keepFrom = Math.min(keepFrom, position);
    }
    if (keepFrom > log.firstOffset) log.dropBefore(keepFrom);
  }
}
