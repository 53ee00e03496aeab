/** What the queue needs of an item: its expiry, and a slot the queue keeps in it. */
export interface Expiring {
  /** Epoch milliseconds; change it only through `schedule`, which reorders the queue. */
  expiresAt: number;
  /** The item's position in the queue, −1 when not queued. Owned by the queue. */
  expirySlot: number;
}

/** setTimeout fires at once for delays above 2^31 − 1 ms; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The token expiries of the authenticated sockets (docs/protocol.md §2.2): each socket is closed
 * when its token expires, whether or not it sends anything. Every token has its own expiry,
 * so unlike the authentication deadlines they do not arrive in order: the queue is a binary
 * min-heap with one timer, armed for the earliest expiry. Each item records its own slot,
 * so a socket that closes or refreshes its token is removed or moved in O(log n) without a
 * search, and an idle socket costs two numbers and one array slot (issue 10), not a timer.
 */
export class ExpiryQueue<T extends Expiring> {
  private readonly heap: T[] = [];
  private timer?: NodeJS.Timeout;
  /** The expiry the timer is armed for; Infinity when no timer runs. */
  private armedFor = Infinity;

  constructor(
    /** Called once `item.expiresAt` has passed, after the item left the queue. */
    private readonly expire: (item: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues `item`, or moves it if it is queued and its `expiresAt` changed. */
  schedule(item: T): void {
    if (item.expirySlot < 0) {
      item.expirySlot = this.heap.length;
      this.heap.push(item);
      this.up(item.expirySlot);
    } else {
      this.down(this.up(item.expirySlot));
    }
    this.arm();
  }

  /** Takes `item` out of the queue (its socket closed); nothing if it is not queued. */
  remove(item: T): void {
    const slot = item.expirySlot;
    if (slot < 0 || this.heap[slot] !== item) return;
    this.take(slot);
    this.arm();
  }

  get size(): number {
    return this.heap.length;
  }

  /** Forgets every item and stops the timer (shutdown). */
  clear(): void {
    for (const item of this.heap) item.expirySlot = -1;
    this.heap.length = 0;
    this.arm();
  }

  private arm(): void {
    const next = this.heap.length > 0 ? this.heap[0].expiresAt : Infinity;
    if (next === this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = next;
    if (next === Infinity) return;
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, next - this.now()));
    this.timer = setTimeout(() => this.sweep(), wait);
    // The queue never keeps the process alive on its own.
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.now();
    while (this.heap.length > 0 && this.heap[0].expiresAt <= now) {
      const item = this.take(0);
      this.expire(item);
    }
    this.arm();
  }

  /** Removes the item at `slot` and returns it, keeping the heap in order. */
  private take(slot: number): T {
    const item = this.heap[slot];
    const last = this.heap.pop()!;
    if (last !== item) {
      this.heap[slot] = last;
      last.expirySlot = slot;
      this.down(this.up(slot));
    }
    item.expirySlot = -1;
    return item;
  }

  /** Moves the item at `slot` towards the root while it expires before its parent. */
  private up(slot: number): number {
    const heap = this.heap;
    const item = heap[slot];
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (heap[parent].expiresAt <= item.expiresAt) break;
      heap[slot] = heap[parent];
      heap[slot].expirySlot = slot;
      slot = parent;
    }
    heap[slot] = item;
    item.expirySlot = slot;
    return slot;
  }

  /** Moves the item at `slot` towards the leaves while a child expires before it. */
  private down(slot: number): void {
    const heap = this.heap;
    const item = heap[slot];
    for (;;) {
      let child = 2 * slot + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1].expiresAt < heap[child].expiresAt) {
        child += 1;
      }
      if (heap[child].expiresAt >= item.expiresAt) break;
      heap[slot] = heap[child];
      heap[slot].expirySlot = slot;
      slot = child;
    }
    heap[slot] = item;
    item.expirySlot = slot;
  }
}
