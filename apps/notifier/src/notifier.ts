import type { Bus, BusRecord } from '@chat/bus';
import type { Presence } from '@chat/cache';
import type { Logger } from '@chat/logger';
import { batchFigures, type DeadLetters } from '@chat/runtime';
import type { Planner } from './plans/plan';
import { route } from './routing';

export interface NotifierDeps {
  /** The planner of each consumed topic. */
  planners: Record<string, Planner>;
  presence: Pick<Presence, 'lookup'>;
  bus: Pick<Bus, 'publishMany'>;
  /** Where records no planner can read go (never skipped silently). */
  deadLetters: Pick<DeadLetters, 'unreadable' | 'outgoing' | 'published' | 'send'>;
  log: Logger;
}

/**
 * Handles one batch (one partition of one topic, in order): the topic's planner says who
 * must hear what (docs/protocol.md §4), presence says where those accounts are online, and the
 * delivery records of the whole batch, one per push and gateway node, are published at
 * once; the batch resolves (and commits) only after that. Marks of what was pushed are
 * written just before publishing and undone when publishing fails, so the redelivered
 * batch pushes again (see `PushMarks`).
 */
export class Notifier {
  constructor(private readonly deps: NotifierDeps) {}

  async handle(records: BusRecord[]): Promise<void> {
    const startedAt = Date.now();
    const { planners, presence, bus, log } = this.deps;
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
    if (plan.pushes.length > 0) {
      const undo = await plan.mark();
      try {
        const online = await presence.lookup([...new Set(plan.pushes.flatMap((p) => p.to))]);
        const out = route(plan.pushes, online);
        // Dead letters go with the deliveries, in one durable publish before the commit.
        await bus.publishMany([...out, ...deadLetters.outgoing(letters)]);
        deadLetters.published(letters);
        deliveries = out.length;
      } catch (err) {
        await undo().catch((e: unknown) =>
          log.warn({ err: e }, 'push marks not undone; these pushes may be lost'),
        );
        throw err;
      }
    } else {
      await deadLetters.send(letters);
    }
    log.debug(
      {
        ...batchFigures(records, startedAt),
        pushes: plan.pushes.length,
        deliveries,
        repeats: plan.repeats,
        unreadable: plan.unreadable.length,
      },
      'batch routed',
    );
  }
}
