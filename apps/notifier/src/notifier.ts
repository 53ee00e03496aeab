import type { Bus, BusRecord } from '@chat/bus';
import type { Presence, PresenceEntry } from '@chat/cache';
import type { JobQueue } from '@chat/jobs';
import type { Logger } from '@chat/logger';
import type { PushJob } from '@chat/protocol';
import type { DeviceOwners } from '@chat/push';
import { batchFigures, type DeadLetters } from '@chat/runtime';
import type { Plan, Planner } from './plans/plan';
import { PresenceHold } from './presence-hold';
import { route } from '@chat/domain';

export interface NotifierDeps {
  /** The planner of each consumed topic. */
  planners: Record<string, Planner>;
  presence: Pick<Presence, 'snapshot'>;
  /** When to wait for presence being rebuilt rather than route (default: the standard one). */
  hold?: PresenceHold;
  /** Waits between two presence reads while held (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
  bus: Pick<Bus, 'publishMany'>;
  /**
   * The `push` queue, when device notifications are on (docs/push-notifications.md): a
   * message whose members include some with no socket online becomes one job for them.
   */
  pushQueue?: Pick<JobQueue<PushJob>, 'add'>;
  /**
   * Which offline members have a device (`DeviceOwners`, cached): a message none of whose
   * offline members has one queues no job. None: every offline member counts.
   */
  owners?: Pick<DeviceOwners, 'withDevices'>;
  /**
   * Called per batch with the messages that went on the `push` queue, those that did not
   * because no offline member has a device, and those whose job could not be queued.
   */
  onPushJobs?(counts: { queued: number; noDevice: number; failed: number }): void;
  /** Where records no planner can read go (never skipped silently). */
  deadLetters: Pick<DeadLetters, 'unreadable' | 'outgoing' | 'published' | 'send'>;
  log: Logger;
}

/**
 * Handles one batch (one partition of one topic, in order): the topic's planner says who
 * must hear what (docs/protocol.md §4), presence says where those accounts are online, and the
 * delivery records of the whole batch, one per push and gateway node, are published at
 * once; the batch resolves (and commits) only after that. Marks of what was pushed are
 * written after publishing (see `PushMarks`): a notifier dying before its commit leaves the
 * batch to be planned and published again, and each gateway drops the delivery records it
 * already wrote by their source, so pushes are neither lost nor repeated by a crash
 * (`DeliveryRecord.source`). While presence is being rebuilt after Redis lost it,
 * the batch waits rather than routing by incomplete presence (`PresenceHold`).
 */
export class Notifier {
  private readonly hold: PresenceHold;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: NotifierDeps) {
    this.hold = deps.hold ?? new PresenceHold({ log: deps.log });
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async handle(records: BusRecord[]): Promise<void> {
    const startedAt = Date.now();
    const { planners, bus, log } = this.deps;
    const topic = records[0]?.topic;
    const planner = topic === undefined ? undefined : planners[topic];
    if (!planner) {
      log.warn({ topic, records: records.length }, 'records of an unexpected topic skipped');
      return;
    }
    const plan = await planner.plan(records);
    const { deadLetters } = this.deps;
    const letters = plan.unreadable.map((u) => deadLetters.unreadable(u.record, u.error));
    let deliveries = 0;
    let offlineJobs = 0;
    let heldMs = 0;
    if (plan.pushes.length > 0) {
      const { online, heldMs: held } = await this.lookupSettled([
        ...new Set(plan.pushes.flatMap((p) => p.to)),
      ]);
      heldMs = held;
      const out = route(plan.pushes, online);
      // Dead letters go with the deliveries, in one durable publish before the commit.
      await bus.publishMany([...out, ...deadLetters.outgoing(letters)]);
      deadLetters.published(letters);
      deliveries = out.length;
      await plan
        .mark()
        .catch((err: unknown) =>
          log.warn(
            { err },
            'push marks not written; a later redelivery of these records is routed again',
          ),
        );
      if (this.deps.pushQueue && plan.notices?.length) {
        offlineJobs = await this.queueNotices(plan.notices, online);
      }
    } else {
      await deadLetters.send(letters);
    }
    log.debug(
      {
        ...batchFigures(records, startedAt),
        pushes: plan.pushes.length,
        deliveries,
        offlineJobs,
        heldMs,
        repeats: plan.repeats,
        unreadable: plan.unreadable.length,
      },
      'batch routed',
    );
  }

  /**
   * Adds a `push` job for each message some of whose recipients have no socket online (the
   * sender's own account excepted) and a registered device, for those recipients. Online
   * recipients cost nothing here: the presence look-up was made for routing already; the
   * devices are known from the cache (`DeviceOwners`: one read per offline account, the
   * database only for accounts it has no answer for). The job id is the message's, so a
   * redelivered batch adds nothing twice. Device notifications are best effort, like
   * pushes: a queue failure is logged and does not hold back the batch, whose deliveries
   * went out already; when the devices cannot be looked up, every offline member counts.
   */
  private async queueNotices(
    notices: NonNullable<Plan['notices']>,
    online: Map<number, PresenceEntry[]>,
  ): Promise<number> {
    const queue = this.deps.pushQueue!;
    const offline = notices.flatMap(({ to, job }) => {
      const accounts = to.filter((a) => a !== job.sender_id && (online.get(a)?.length ?? 0) === 0);
      return accounts.length > 0 ? [{ ...job, accounts }] : [];
    });
    if (offline.length === 0) return 0;
    const withDevices = await this.withDevices(offline.flatMap((j) => j.accounts));
    const jobs = offline.flatMap((job) => {
      const accounts = withDevices ? job.accounts.filter((a) => withDevices.has(a)) : job.accounts;
      return accounts.length > 0 ? [{ ...job, accounts }] : [];
    });
    const added = await Promise.allSettled(
      jobs.map((job) => queue.add('message', job, { jobId: `m-${job.msg_id}` })),
    );
    const failed = added.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      this.deps.log.warn(
        { err: failed[0].reason as unknown, failed: failed.length, jobs: jobs.length },
        'push jobs not queued; those offline members get no device notification',
      );
    }
    this.deps.onPushJobs?.({
      queued: jobs.length - failed.length,
      noDevice: offline.length - jobs.length,
      failed: failed.length,
    });
    return jobs.length - failed.length;
  }

  /** Those of the accounts with a device, or undefined for "all" (no look-up, or it failed). */
  private async withDevices(accountIds: number[]): Promise<Set<number> | undefined> {
    const { owners, log } = this.deps;
    if (!owners) return undefined;
    try {
      return await owners.withDevices(accountIds);
    } catch (err) {
      log.warn({ err }, 'push devices not looked up; queueing for every offline member');
      return undefined;
    }
  }

  /**
   * Where the accounts are online, once presence can be trusted: read again after the wait
   * `PresenceHold` asks for until it says route. Nothing is marked or published meanwhile,
   * and the batch is not committed.
   */
  private async lookupSettled(
    accountIds: number[],
  ): Promise<{ online: Map<number, PresenceEntry[]>; heldMs: number }> {
    const heldSince = this.hold.now();
    let waited = false;
    for (;;) {
      const { online, state } = await this.deps.presence.snapshot(accountIds);
      const waitMs = this.hold.waitMs(state, heldSince);
      if (waitMs <= 0) {
        const heldMs = waited ? this.hold.now() - heldSince : 0;
        if (waited) {
          this.deps.log.info({ heldMs, ...state }, 'routing held while presence was rebuilt');
        }
        return { online, heldMs };
      }
      waited = true;
      await this.sleep(waitMs);
    }
  }
}
