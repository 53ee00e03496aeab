import { PRESENCE_REBUILD_MS, type PresenceState } from '@chat/cache';
import type { Logger } from '@chat/logger';

export interface PresenceHoldOptions {
  log: Logger;
  /**
   * How long presence may stay lost (marker missing) before routing goes on without it:
   * every gateway that is running recreates the marker within this of Redis answering.
   */
  lostBoundMs?: number;
  /** How often a lost presence is read again. */
  pollMs?: number;
  /** Longest one batch is held, whatever presence says (well under the consumer session). */
  maxHoldMs?: number;
  now?: () => number;
}

/**
 * When routing must wait for presence (docs/architecture.md, presence rebuild). After Redis
 * restarted empty, an account whose socket stayed open looks offline until its gateway has
 * announced its sockets again; a push routed by that empty presence would be dropped. So
 * the notifier reads the presence state with each lookup and, instead of routing, waits:
 *
 * - while a rebuild is under way (a gateway found its entries lost and the others announce
 *   theirs within the rebuild time), until it ends;
 * - while the presence marker is missing (no gateway has beaten since the loss), re-reading
 *   every `pollMs`, for at most `lostBoundMs` from when this notifier first saw it missing.
 *   Past that no gateway is running (a new deployment, or all of them gone): routing goes
 *   on, with one warning, until the marker is back.
 *
 * A held batch is not committed, and no batch is held longer than `maxHoldMs`.
 */
export class PresenceHold {
  private readonly lostBoundMs: number;
  private readonly pollMs: number;
  private readonly maxHoldMs: number;
  /** The clock the hold's times are read on. */
  readonly now: () => number;
  /** When this notifier first saw the marker missing, since it was last there. */
  private lostSince?: number;
  private warnedLost = false;

  constructor(private readonly opts: PresenceHoldOptions) {
    this.lostBoundMs = opts.lostBoundMs ?? PRESENCE_REBUILD_MS;
    this.pollMs = opts.pollMs ?? 200;
    this.maxHoldMs = opts.maxHoldMs ?? 2 * PRESENCE_REBUILD_MS;
    this.now = opts.now ?? Date.now;
  }

  /**
   * How long to wait before reading presence again, for a batch held since `heldSince`
   * (its first read); 0 means route with what was read.
   */
  waitMs(state: PresenceState, heldSince: number): number {
    const now = this.now();
    if (state.lost) {
      this.lostSince ??= now;
    } else {
      this.lostSince = undefined;
      this.warnedLost = false;
    }
    const holdLeft = heldSince + this.maxHoldMs - now;
    if (holdLeft <= 0) {
      if (state.lost || state.rebuildingMs > 0) {
        this.opts.log.warn(
          { heldMs: now - heldSince, ...state },
          'presence still being rebuilt; routing anyway, some pushes may be lost',
        );
      }
      return 0;
    }
    if (state.rebuildingMs > 0) return Math.min(state.rebuildingMs, holdLeft);
    if (state.lost) {
      const lostLeft = (this.lostSince as number) + this.lostBoundMs - now;
      if (lostLeft > 0) return Math.min(this.pollMs, lostLeft, holdLeft);
      if (!this.warnedLost) {
        this.warnedLost = true;
        this.opts.log.warn(
          { lostMs: now - (this.lostSince as number) },
          'presence marker missing and no gateway beat: routing without waiting for one',
        );
      }
    }
    return 0;
  }
}
