import { createBus, type Bus, type BusConfig } from '@chat/bus';
import { createCacheAdapters, type CacheAdapters } from '@chat/cache';
import type { Config } from '@chat/config';
import { openDatabase, type Database } from '@chat/db';
import { createJobQueue, retryPolicyFromConfig, type JobQueue } from '@chat/jobs';
import type { Logger } from '@chat/logger';
import { QUEUES, type EmailJob, type PushJob } from '@chat/protocol';
import { cacheConfig, jobQueueConfig, requireDatabaseUrl } from './adapter-configs';
import { closeInOrder, type Closable } from './close-in-order';

/**
 * What a role is handed by the process that runs it beside other roles (the standalone
 * server): adapters it uses but does not close. Absent ones the role opens from config and
 * closes itself.
 */
export interface SharedPorts {
  db?: Database;
  cache?: CacheAdapters;
  bus?: Bus;
  emailQueue?: JobQueue<EmailJob>;
  /** The `push` queue (docs/push-notifications.md), when notifications are on. */
  pushQueue?: JobQueue<PushJob>;
}

/**
 * The start-up of every role (docs/development.md §3, §4). A role opens its ports through the
 * kit with one rule (the caller's shared adapter, or its own from config, which the kit
 * closes), adds each thing it starts, and gets one stop that runs once, however often it is
 * called, and closes everything in reverse of start. When the start fails, `startRole`
 * closes what was started so far and rethrows.
 */
export class RoleKit {
  private readonly steps: Closable[] = [];
  private readonly owned = new Set<unknown>();
  private stopping?: Promise<void>;

  constructor(
    readonly role: string,
    readonly log: Logger,
  ) {}

  /** `close` runs at stop, before whatever was added earlier. */
  add(name: string, close: () => Promise<void> | void): void {
    this.steps.push({ name, close: async () => void (await close()) });
  }

  /**
   * A step whose place in the stop order is fixed now, for something started later (a
   * listener that must close before the consumers that feed it, say): call the returned
   * function once it exists. Left unset, the step does nothing.
   */
  reserve(name: string): (close: () => Promise<void> | void) => void {
    let closer: (() => Promise<void> | void) | undefined;
    this.steps.push({ name, close: async () => void (await closer?.()) });
    return (close) => {
      closer = close;
    };
  }

  /**
   * A port's adapter: `shared` when the caller gives one (it stays the caller's to close),
   * else `open()`, closed at stop.
   */
  async port<T extends { close(): Promise<void> }>(
    name: string,
    shared: T | undefined,
    open: () => T | Promise<T>,
  ): Promise<T> {
    if (shared) return shared;
    const adapter = await open();
    this.owned.add(adapter);
    this.add(name, () => adapter.close());
    return adapter;
  }

  /** Whether the role opened `adapter` itself: what it owns, its `/readyz` probes. */
  isOwn(adapter: unknown): boolean {
    return this.owned.has(adapter);
  }

  /** The shared database, or the role's own on `Postgresql.Url`. */
  async database(config: Pick<Config, 'Postgresql'>, shared: Database | undefined) {
    return this.port('database', shared, () =>
      openDatabase(
        { url: requireDatabaseUrl(config), poolMax: config.Postgresql.PoolMax },
        this.log,
      ),
    );
  }

  /**
   * The shared cache, or the role's own from `Redis.*`. An own in-memory cache sees only this
   * process: `localNote` says what the role misses then, and is logged.
   */
  async cache(
    config: Pick<Config, 'Redis'>,
    shared: CacheAdapters | undefined,
    localNote?: string,
  ) {
    const cache = await this.port('cache', shared, () =>
      createCacheAdapters(cacheConfig(config), this.log),
    );
    if (this.isOwn(cache) && !config.Redis.Url && localNote) {
      this.log.warn(`Redis.Url is not set: this ${this.role} ${localNote}`);
    }
    return cache;
  }

  /** The shared bus, or the role's own on `cfg` (see `roleBusConfig`). */
  async bus(cfg: BusConfig, shared: Bus | undefined) {
    const bus = await this.port('bus', shared, () => createBus(cfg, this.log));
    if (this.isOwn(bus) && cfg.kind === 'memory') {
      this.log.warn(
        `Kafka.Brokers is not set: this ${this.role} only sees records of its own process`,
      );
    }
    return bus;
  }

  /** The shared email queue, or the role's own from `Redis.*` and `Auto.Retry`. */
  async emailQueue(
    config: Pick<Config, 'Redis' | 'Auto'>,
    shared: JobQueue<EmailJob> | undefined,
    localNote?: string,
  ) {
    const queue = await this.port('email queue', shared, () =>
      createJobQueue<EmailJob>(
        jobQueueConfig(config),
        { name: QUEUES.email, retry: retryPolicyFromConfig(config.Auto.Retry) },
        this.log,
      ),
    );
    if (this.isOwn(queue) && !config.Redis.Url && localNote) {
      this.log.warn(`Redis.Url is not set: this ${this.role} ${localNote}`);
    }
    return queue;
  }

  /** The shared push queue, or the role's own from `Redis.*` and `Auto.Retry`. */
  async pushQueue(config: Pick<Config, 'Redis' | 'Auto'>, shared: JobQueue<PushJob> | undefined) {
    return this.port('push queue', shared, () =>
      createJobQueue<PushJob>(
        jobQueueConfig(config),
        { name: QUEUES.push, retry: retryPolicyFromConfig(config.Auto.Retry) },
        this.log,
      ),
    );
  }

  /**
   * The role's `stop`: once-only; `first` runs before anything closes (the ops server
   * starts answering "not ready"), then every step closes in reverse of start.
   */
  stopper(first?: () => void): () => Promise<void> {
    return () =>
      (this.stopping ??= (async () => {
        first?.();
        await closeInOrder(this.log, [...this.steps].reverse());
      })());
  }
}

/**
 * Runs a role's start with a fresh kit; when it throws, whatever it started is closed in
 * reverse before the error is passed on, so a failed start leaves nothing running.
 */
export async function startRole<T>(
  role: string,
  log: Logger,
  build: (kit: RoleKit) => Promise<T>,
): Promise<T> {
  const kit = new RoleKit(role, log);
  try {
    return await build(kit);
  } catch (err) {
    await kit.stopper()();
    throw err;
  }
}
