/**
 * The last push a gateway wrote per source partition (a notifier topic's partition) and
 * delivery partition, read from `DeliveryRecord.source` (`<topic>/<partition>/<offset>/<push>`).
 * A notifier plans a source partition's records in offset order and publishes a batch
 * before planning the next one, and each delivery record goes to the partition of its
 * source record's key; so within one delivery partition, the sources of one source
 * partition only move forward, except when a batch is published again after its notifier
 * died before committing (or its publish failed half-way). Anything at or behind the last
 * source written is such a repeat. One entry per pair of partitions.
 */
export class DeliverySources {
  private readonly last = new Map<string, { offset: bigint; push: number }>();

  /**
   * Whether a delivery record from `source` (as the schema checked it), read from delivery
   * partition `partition`, is new; if so, it becomes the last one of its pair.
   */
  advance(partition: number, source: string): boolean {
    const pushAt = source.lastIndexOf('/');
    const offsetAt = source.lastIndexOf('/', pushAt - 1);
    const id = `${source.slice(0, offsetAt)}>${partition}`;
    const offset = BigInt(source.slice(offsetAt + 1, pushAt));
    const push = Number(source.slice(pushAt + 1));
    const last = this.last.get(id);
    if (last && (offset < last.offset || (offset === last.offset && push <= last.push))) {
      return false;
    }
    this.last.set(id, { offset, push });
    return true;
  }
}
