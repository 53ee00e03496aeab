import type { BusRecord } from '@chat/bus';
import type { PlannedPush } from '@chat/domain';
import type { PushMessageJob } from '@chat/protocol';

/** What one batch of one topic must push, and how to record that it did. */
export interface Plan {
  pushes: PlannedPush[];
  /** Marks the pushes as made (called once they are published). */
  mark(): Promise<void>;
  /** Records that repeat what was pushed before, skipped. */
  repeats: number;
  /** Records that could not be read: the notifier sends them to the dead-letter topic. */
  unreadable: { record: BusRecord; error: unknown }[];
  /**
   * Messages whose recipients (`to`) with no socket online get a device notification
   * instead (docs/push-notifications.md): the job to add, but for its `accounts`, which the
   * notifier fills from presence. Only `chat.stored` plans have them.
   */
  notices?: { to: number[]; job: Omit<PushMessageJob, 'accounts'> }[];
}

export interface Planner {
  plan(records: BusRecord[]): Promise<Plan>;
}
