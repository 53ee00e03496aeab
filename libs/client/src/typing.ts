import type * as protocol from '@chat/protocol';
import type { PushData } from '@chat/protocol';

/**
 * The protocol's `TYPING_EXPIRE_MS`, written out: the SDK bundle takes nothing from
 * `@chat/protocol` at run time. The type is the protocol constant's literal type, so a change
 * there fails to compile here.
 */
const TYPING_EXPIRE_MS: typeof protocol.TYPING_EXPIRE_MS = 6000;

/**
 * Who is typing where, from `typing` pushes (docs/protocol.md §3.4): a member counts as typing
 * from a push with `state: true` until a push with `state: false`, or until `expireMs` (6 s)
 * pass without a refresh (senders refresh every 3 s, so a lost stop or a closed app ends it).
 * Time is read from `now`, so a UI can call `typing(relationId)` on each render.
 */
export class TypingIndicators {
  /** relation id → account id → when its indicator expires (epoch ms). */
  private readonly until = new Map<number, Map<number, number>>();

  constructor(
    private readonly expireMs = TYPING_EXPIRE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one `typing` push. */
  apply(push: PushData['typing']): void {
    let members = this.until.get(push.relation_id);
    if (push.state) {
      if (!members) this.until.set(push.relation_id, (members = new Map()));
      members.set(push.account_id, this.now() + this.expireMs);
    } else if (members) {
      members.delete(push.account_id);
      if (members.size === 0) this.until.delete(push.relation_id);
    }
  }

  /** The accounts typing in the conversation now, ascending. */
  typing(relationId: number): number[] {
    const members = this.until.get(relationId);
    if (!members) return [];
    const now = this.now();
    for (const [accountId, until] of members) if (until <= now) members.delete(accountId);
    if (members.size === 0) this.until.delete(relationId);
    return [...members.keys()].sort((a, b) => a - b);
  }

  /** When the next indicator expires (epoch ms), to schedule a re-render; undefined: none. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const members of this.until.values()) {
      for (const until of members.values()) if (next === undefined || until < next) next = until;
    }
    return next;
  }
}
