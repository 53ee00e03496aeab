/**
 * The shared key-value store the entries live in: the generic cache (`Cache` of
 * `@chat/cache`, Redis or in-process), of which only these calls are used.
 */
export interface DeviceOwnerStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  setIfAbsent(key: string, value: unknown, ttlMs: number): Promise<boolean>;
  del(key: string): Promise<boolean>;
}

export interface DeviceOwnersOptions {
  store: DeviceOwnerStore;
  /** The entry of one account (`ENTRY_KEYS.pushDevices`). */
  keyOf(accountId: number): string;
  /** Those of the accounts with a registered device, from the database (one query). */
  load(accountIds: number[]): Promise<Set<number>>;
  /** How long an entry lives (default `DEVICE_OWNER_TTL_MS`). */
  ttlMs?: number;
}

/**
 * How long an entry lives. Entries are kept right by whoever changes devices (below), so the
 * time only bounds how long a stale "yes" (a removal whose clearing failed, a token moved to
 * another account) costs a job that finds no device, and how long idle accounts take space.
 */
export const DEVICE_OWNER_TTL_MS = 60 * 60 * 1000;

/**
 * Whether an account has a device registered for push notifications, cached per account in
 * the shared cache (docs/push-notifications.md, The job path), so that the notifier queues no
 * job for offline members none of whom has a device, without a database query per message.
 *
 * The rule that nothing is lost: an entry may say "yes" wrongly (that costs a job that finds
 * no device, as before), never "no" once a registration has answered.
 * - `registered` (api, after the device's row is committed, before answering) writes "yes",
 *   unconditionally.
 * - `removed` (api unregister, worker dead token, after the delete is committed) deletes the
 *   entry: the next look-up reads the database again.
 * - `withDevices` (notifier) reads the entries; for the missing ones it reads the database,
 *   then writes each answer only if no entry appeared meanwhile (`setIfAbsent`). A "no" read
 *   before a registration committed therefore cannot overwrite the "yes" that registration
 *   wrote after committing; and if the "no" was written first, the "yes" replaces it. A
 *   missing entry lost the race to some writer, so it counts as "yes" for this look-up.
 * - A lost cache (Redis flushed or restarted) only empties entries: look-ups go to the
 *   database again. A failing cache or database makes the look-up answer "every account":
 *   a notification is best effort, but never skipped for want of knowing.
 */
export class DeviceOwners {
  private readonly ttlMs: number;

  constructor(private readonly opts: DeviceOwnersOptions) {
    this.ttlMs = opts.ttlMs ?? DEVICE_OWNER_TTL_MS;
  }

  /**
   * Those of `accountIds` that may have a device: one cache read per account (pipelined),
   * and one database query for the ones the cache has no answer for.
   */
  async withDevices(accountIds: readonly number[]): Promise<Set<number>> {
    const { store, keyOf, load } = this.opts;
    const unique = [...new Set(accountIds)];
    if (unique.length === 0) return new Set();
    const known = await Promise.all(unique.map((a) => store.get<boolean>(keyOf(a))));
    const out = new Set(unique.filter((_, i) => known[i] === true));
    const missing = unique.filter((_, i) => typeof known[i] !== 'boolean');
    if (missing.length === 0) return out;
    const found = await load(missing);
    const kept = await Promise.all(
      missing.map((a) => store.setIfAbsent(keyOf(a), found.has(a), this.ttlMs)),
    );
    missing.forEach((a, i) => {
      if (found.has(a) || !kept[i]) out.add(a);
    });
    return out;
  }

  /** The account has a device now: call after its row is committed, before answering. */
  async registered(accountId: number): Promise<void> {
    await this.opts.store.set(this.opts.keyOf(accountId), true, this.ttlMs);
  }

  /** The accounts lost a device: call after the delete is committed. */
  async removed(accountIds: readonly number[]): Promise<void> {
    await Promise.all([...new Set(accountIds)].map((a) => this.opts.store.del(this.opts.keyOf(a))));
  }
}
