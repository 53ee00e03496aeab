import { TYPING_MIN_INTERVAL_MS } from '@chat/protocol';

/** Conversations remembered per connection before old entries are dropped. */
const MAX_REMEMBERED = 64;

/**
 * The `typing` rate limit of one connection (docs/protocol.md §3.4): per conversation, at
 * most one forwarded frame per `intervalMs`, except that a stop (`false`) right after a
 * forwarded start is always forwarded, so receivers never wait for the expiry to see that
 * typing ended. A frame over the limit is not forwarded; it is not an error.
 */
export class TypingLimit {
  /** relation id → when the last forwarded frame was taken, and its state. */
  private readonly last = new Map<number, { at: number; state: boolean }>();

  constructor(private readonly intervalMs = TYPING_MIN_INTERVAL_MS) {}

  /** Whether a `typing` frame of `relationId` with `state` taken at `now` is forwarded. */
  admit(relationId: number, state: boolean, now: number): boolean {
    const prev = this.last.get(relationId);
    const stopAfterStart = prev !== undefined && !state && prev.state;
    if (prev !== undefined && !stopAfterStart && now - prev.at < this.intervalMs) return false;
    this.last.delete(relationId);
    this.last.set(relationId, { at: now, state });
    if (this.last.size > MAX_REMEMBERED) this.prune(now);
    return true;
  }

  /** Conversations remembered (for tests and bounds). */
  get size(): number {
    return this.last.size;
  }

  private prune(now: number): void {
    for (const [relationId, entry] of this.last) {
      if (now - entry.at >= this.intervalMs || this.last.size > MAX_REMEMBERED) {
        this.last.delete(relationId);
      }
    }
  }
}
