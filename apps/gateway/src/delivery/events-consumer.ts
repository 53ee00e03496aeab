import type { BusRecord } from '@chat/bus';
import type { MembershipCache } from '@chat/cache';
import type { Logger } from '@chat/logger';
import { chatEventSchema, parseRecord, type ChatEvent } from '@chat/protocol';
import type { PresenceWatch } from '../presence/presence-watch';
import { pushText } from '../protocol/frames';
import type { SessionEnds } from '../sockets/session-ends';

/** The event's push as a frame, if it is addressed to `accountId`. */
function lastFrameFor(event: ChatEvent, accountId: number): string | undefined {
  const push = event.push;
  return push?.to.includes(accountId) ? pushText(push.event, push.data) : undefined;
}

/**
 * Keeps the membership cache honest (docs/architecture.md, gateway: "a cache invalidated by
 * chat.events"): every relation an event lists in `effects.membershipChanged` is dropped
 * from the cache, this process's front and the shared cache. Sends are not waiting for it:
 * the api already invalidated the shared cache before answering, which moved the relation's
 * membership version that the front checks on every use (`LocalMembershipCache`); this is
 * the second line, for an api whose own invalidation failed. The same relations then have
 * the presence subscriptions they ground checked again (`PresenceWatch.relationsChanged`),
 * so a watcher that is no longer a friend or fellow member stops hearing of the account
 * (docs/protocol.md §3.5). Account deletions arrive with the relations they changed listed there
 * too, and their sockets are closed through the delivery topic (`DeliveryRecord.close`),
 * so `accountsDeleted` needs nothing here. Ended sessions (`effects.tokensRevoked`) close
 * this gateway's sockets of those accounts authenticated before (`SessionEnds`): every
 * gateway reads every event in a group of its own. The event's push to those accounts (an
 * email change's `update_email`) is written here, to each of those sockets just before its
 * close, rather than by the notifier, whose delivery would come after the close. A failed
 * invalidation or presence check throws, so the batch is delivered again rather than
 * leaving a stale member list or subscription behind.
 */
export class EventsConsumer {
  constructor(
    private readonly membership: Pick<MembershipCache, 'invalidate'>,
    private readonly ends: Pick<SessionEnds, 'revoke'>,
    private readonly presence: Pick<PresenceWatch, 'relationsChanged'>,
    private readonly log: Logger,
  ) {}

  async handle(records: BusRecord[]): Promise<void> {
    const changed = new Set<number>();
    for (const record of records) {
      // Checked against the one schema of the contract, not cast: ids and epochs are
      // known to be positive integers below.
      const parsed = parseRecord(chatEventSchema, record.value);
      if (!parsed.ok) {
        this.log.warn(
          { err: parsed.error, offset: record.offset },
          'unreadable chat event skipped',
        );
        continue;
      }
      const event = parsed.value;
      for (const id of event.effects?.membershipChanged ?? []) changed.add(id);
      for (const { accountId, epoch } of event.effects?.tokensRevoked ?? []) {
        this.ends.revoke(accountId, epoch, lastFrameFor(event, accountId));
      }
    }
    if (changed.size === 0) return;
    await this.membership.invalidate([...changed]);
    await this.presence.relationsChanged([...changed]);
  }
}
