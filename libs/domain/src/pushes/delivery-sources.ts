import type { DeliverySource } from '@chat/protocol';

/**
 * The last push a gateway wrote per source partition (a notifier topic's partition) and
 * delivery partition. A notifier plans a source partition's records in offset order and
 * publishes a batch before planning the next one, and each delivery record goes to the
 * partition of its source record's key; so within one delivery partition, the sources of
 * one source partition only move forward, except when a batch is published again after its
 * notifier died before committing (or its publish failed half-way). Anything at or behind
 * the last source written is such a repeat. One entry per pair of partitions.
 */
export class DeliverySources {
  private readonly last = new Map<string, { offset: bigint; push: number }>();

  /**
   * Whether a delivery record from `source`, read from delivery partition `partition`, is
   * new; if so, it becomes the last one of its pair.
   */
  advance(partition: number, source: DeliverySource): boolean {
    const id = `${source.topic}/${source.partition}>${partition}`;
    const offset = BigInt(source.offset);
    const last = this.last.get(id);
    if (last && (offset < last.offset || (offset === last.offset && source.push <= last.push))) {
      return false;
    }
    this.last.set(id, { offset, push: source.push });
    return true;
  }
}
