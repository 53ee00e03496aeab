import { DeviceOwners, type DeviceOwnerStore } from './device-owners';

/** A store over a Map, with no expiry: what the generic cache does within an entry's life. */
class MapStore implements DeviceOwnerStore {
  readonly entries = new Map<string, unknown>();
  async get<T>(key: string): Promise<T | undefined> {
    return this.entries.get(key) as T | undefined;
  }
  async set(key: string, value: unknown): Promise<void> {
    this.entries.set(key, value);
  }
  async setIfAbsent(key: string, value: unknown): Promise<boolean> {
    if (this.entries.has(key)) return false;
    this.entries.set(key, value);
    return true;
  }
  async del(key: string): Promise<boolean> {
    return this.entries.delete(key);
  }
}

/**
 * The cached "has a device" of docs/push-notifications.md (The job path): the database is
 * read only for accounts the cache has no answer for, and a registration that answered is
 * never hidden by a "no" read before it (the interleavings are played out by hand here; the
 * notifier's integration test runs it on Redis and Postgres).
 */
describe('DeviceOwners', () => {
  let store: MapStore;
  let rows: Set<number>;
  let loads: number[][];
  let beforeLoadReturns: (() => Promise<void>) | undefined;
  let owners: DeviceOwners;

  beforeEach(() => {
    store = new MapStore();
    rows = new Set();
    loads = [];
    beforeLoadReturns = undefined;
    owners = new DeviceOwners({
      store,
      keyOf: (a) => `push:devices:${a}`,
      load: async (ids) => {
        loads.push(ids);
        const found = new Set(ids.filter((a) => rows.has(a)));
        await beforeLoadReturns?.();
        return found;
      },
    });
  });

  it('reads the database once for the accounts it does not know, then the cache alone', async () => {
    rows.add(1);
    expect(await owners.withDevices([1, 2, 2, 3])).toEqual(new Set([1]));
    expect(loads).toEqual([[1, 2, 3]]);
    expect(await owners.withDevices([3, 2, 1])).toEqual(new Set([1]));
    expect(loads).toHaveLength(1);
    expect(await owners.withDevices([])).toEqual(new Set());
  });

  it('sees a registration at once, even after caching a no', async () => {
    expect(await owners.withDevices([5])).toEqual(new Set());
    rows.add(5);
    await owners.registered(5);
    expect(await owners.withDevices([5])).toEqual(new Set([5]));
  });

  it('keeps a registration that commits while a look-up reads the database', async () => {
    // The look-up reads "no" for 7; before it writes that down, 7 registers (row, then entry).
    beforeLoadReturns = async () => {
      rows.add(7);
      await owners.registered(7);
    };
    expect(await owners.withDevices([7])).toEqual(new Set([7]));
    beforeLoadReturns = undefined;
    expect(await owners.withDevices([7])).toEqual(new Set([7]));
    expect(loads).toHaveLength(1);
  });

  it('reads the database again after a removal, and after the cache lost its entries', async () => {
    rows.add(9);
    expect(await owners.withDevices([9])).toEqual(new Set([9]));
    rows.delete(9);
    await owners.removed([9]);
    expect(await owners.withDevices([9])).toEqual(new Set());
    rows.add(9);
    store.entries.clear();
    expect(await owners.withDevices([9])).toEqual(new Set([9]));
    expect(loads).toEqual([[9], [9], [9]]);
  });
});
