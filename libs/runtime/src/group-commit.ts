/**
 * Group commit for a worker's handler (issue 10): items handed over while a write runs
 * (the bus hands several partitions' batches at once, `SubscribeOptions.concurrency`) wait,
 * and are then written together in one call; each `add` resolves after the write that took
 * it. A failed write rejects every `add` of its group, so each batch is delivered again.
 * Partitions are disjoint by key, so merging their batches keeps each key's order.
 */
export class GroupCommit<T> {
  private queue: { items: T[]; resolve(): void; reject(err: unknown): void }[] = [];
  private writing?: Promise<void>;

  /** `write` gets the items of every batch waiting, in arrival order, and how many batches. */
  constructor(private readonly write: (items: T[], batches: number) => Promise<void>) {}

  add(items: T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    // The bus hands a fetch's batches over within a moment of each other: let them all
    // arrive before the first write, or that write carries only the first of them.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length) {
      const group = this.queue;
      this.queue = [];
      try {
        await this.write(
          group.flatMap((b) => b.items),
          group.length,
        );
        for (const b of group) b.resolve();
      } catch (err) {
        for (const b of group) b.reject(err);
      }
    }
    this.writing = undefined;
  }
}
