/**
 * The authentication deadlines of new sockets (docs/protocol.md §2.1: authenticated within
 * `Gateway.AuthTimeout`, or closed with 4401), kept in one queue with one timer instead of
 * a timer per socket: a timer and its closure cost memory for every socket, and issue 10
 * bounds what an idle socket may cost. Every socket gets the same timeout, so deadlines
 * arrive in the order sockets opened and the queue stays sorted by itself.
 *
 * An entry stays until its deadline even if its socket authenticated or closed earlier;
 * `expire` then decides that there is nothing to do. So the queue holds at most the sockets
 * opened during the last `timeoutMs`.
 */
export class AuthDeadlines<T> {
  private items: T[] = [];
  private deadlines: number[] = [];
  /** Index of the first entry still waiting. */
  private head = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    /** Called once the deadline of `item` passed (whether it still matters is its call). */
    private readonly expire: (item: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts the deadline of `item` now. */
  add(item: T): void {
    this.items.push(item);
    this.deadlines.push(this.now() + this.timeoutMs);
    if (!this.timer) this.arm();
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Forgets every deadline and stops the timer (shutdown). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.items = [];
    this.deadlines = [];
    this.head = 0;
  }

  private arm(): void {
    const wait = Math.max(0, this.deadlines[this.head] - this.now());
    this.timer = setTimeout(() => this.sweep(), wait);
  }

  private sweep(): void {
    this.timer = undefined;
    const now = this.now();
    while (this.head < this.items.length && this.deadlines[this.head] <= now) {
      const item = this.items[this.head];
      this.head += 1;
      this.expire(item);
    }
    if (this.head === this.items.length) {
      this.items = [];
      this.deadlines = [];
      this.head = 0;
      return;
    }
    // Drop the expired part once it is most of the arrays, so they do not grow forever.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.deadlines = this.deadlines.slice(this.head);
      this.head = 0;
    }
    this.arm();
  }
}
