import type { BusRecord } from '@chat/bus';
import type { Logger } from '@chat/logger';
import {
  CLOSE_CODES,
  ErrorCode,
  PUSH_EVENTS,
  type ChatEvent,
  chatEventSchema,
} from '@chat/protocol';
import { markKeys, type PushMarks } from '../push-marks';
import type { PlannedPush } from '@chat/domain';
import { readRecords } from '@chat/runtime';
import type { Plan, Planner } from './plan';

export interface EventsPlannerDeps {
  marks: PushMarks;
  log: Logger;
}

/**
 * The accounts this planner pushes an event to: its `to`, less the accounts whose sessions
 * the same event ends (`effects.tokensRevoked`). The gateways write the push to those
 * accounts' sockets themselves, just before closing them (docs/sessions.md); sent from here
 * it would race that close and mostly arrive after it.
 */
function pushedHere(event: ChatEvent): number[] {
  const revoked = new Set((event.effects?.tokensRevoked ?? []).map((ended) => ended.accountId));
  return (event.push?.to ?? []).filter((accountId) => !revoked.has(accountId));
}

/**
 * `chat.events` → the event's `push` to its `to` accounts (see `pushedHere`), computed by the
 * api when it made the change (so member lists are those of the right moment,
 * docs/pitfalls.md §4), with no connection excluded: a REST call has no socket
 * (docs/protocol.md §4). Deleted accounts (`effects.accountsDeleted`) get their sockets closed
 * with 4403 (docs/protocol.md §2.2, docs/pitfalls.md §8), after an `error {2010}` frame saying
 * why, since a delivery always carries a frame. Event ids pushed are marked in the cache
 * after publishing, so an event delivered again later pushes nothing; one whose batch was
 * published but not marked (the notifier died in between) is planned again, and the
 * gateways drop the repeat by its source (`DeliveryRecord.source`).
 */
export class EventsPlanner implements Planner {
  constructor(private readonly deps: EventsPlannerDeps) {}

  async plan(records: BusRecord[]): Promise<Plan> {
    const { values: all, unreadable } = readRecords(records, chatEventSchema);
    // Events that only change caches (membership) push nothing and need no mark.
    const items = all.filter(
      ({ value }) =>
        pushedHere(value).length > 0 || (value.effects?.accountsDeleted?.length ?? 0) > 0,
    );
    const { marks } = this.deps;
    const keys = items.map(({ value }) => markKeys.event(value.id));
    const previous = await marks.read(keys);
    const next = new Map(previous);
    const pushes: PlannedPush[] = [];
    items.forEach(({ record, value: event }, i) => {
      if (next.has(keys[i])) return;
      next.set(keys[i], 1);
      const { key } = record;
      const to = pushedHere(event);
      if (event.push && to.length > 0) {
        pushes.push({
          key,
          frame: { event: event.push.event, data: event.push.data },
          to,
          source: record,
        });
      }
      const deleted = event.effects?.accountsDeleted ?? [];
      if (deleted.length > 0) {
        pushes.push({
          key,
          frame: {
            event: PUSH_EVENTS.error,
            data: { status_code: ErrorCode.AccountNotFound, status_msg: 'account deleted' },
          },
          to: deleted,
          close: { code: CLOSE_CODES.accountGone, reason: 'account deleted' },
          source: record,
        });
      }
    });
    return {
      pushes,
      mark: () => marks.raise(previous, next),
      repeats: items.length - (next.size - previous.size),
      unreadable,
    };
  }
}
