/**
 * Frames per second on one connection (docs/protocol.md §1.1, `Gateway.FramesPerSecond`): a token
 * bucket holding one second's worth, refilled continuously, so a burst of up to the limit
 * passes and a sustained rate above it is refused, whatever the alignment to clock seconds.
 */
export class FrameRate {
  private tokens: number;
  private at: number;

  /** `perSecond` 0 disables the limit. */
  constructor(
    private readonly perSecond: number,
    nowMs: number,
  ) {
    this.tokens = perSecond;
    this.at = nowMs;
  }

  /** Counts one frame; false when it is over the limit. */
  admit(nowMs: number): boolean {
    if (this.perSecond === 0) return true;
    const elapsed = Math.max(0, nowMs - this.at);
    this.at = nowMs;
    this.tokens = Math.min(this.perSecond, this.tokens + (elapsed * this.perSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * True when the bucket holds its whole second's worth at `nowMs`: it then admits exactly
   * what a new bucket would, so the caller may drop it and start a new one later.
   */
  isFull(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.at);
    return this.tokens + (elapsed * this.perSecond) / 1000 >= this.perSecond;
  }
}
