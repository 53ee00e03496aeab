import { createLogger } from '@chat/logger';
import { createCacheAdapters } from './create-cache';
import { LocalMembershipCache } from './local-membership-cache';

describe('LocalMembershipCache', () => {
  let clock = 1_700_000_000_000;
  const log = createLogger({ name: 'cache-test', level: 'silent' });
  const adapters = createCacheAdapters({ kind: 'memory', now: () => clock }, log);
  afterAll(() => adapters.close());

  function setup(maxEntries?: number) {
    const shared = adapters.membership({ ttlMs: 3_600_000 });
    const local = new LocalMembershipCache(shared, { ttlMs: 1000, maxEntries, now: () => clock });
    const db = new Map<number, number[]>([
      [1, [10, 11]],
      [2, [20]],
      [3, [30]],
    ]);
    let loads = 0;
    const load = async (relationId: number) => {
      loads++;
      return db.get(relationId) ?? [];
    };
    return { shared, local, db, load, loads: () => loads };
  }

  it('answers a repeated check from the process without asking the shared cache', async () => {
    const { shared, local, load } = setup();
    const spy = jest.spyOn(shared, 'members');
    expect(await local.isMember(1, 10, load)).toBe(true);
    expect(await local.isMember(1, 12, load)).toBe(false);
    expect(await local.members(1, load)).toEqual([10, 11]);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('forgets a relation on invalidate, here and in the shared cache', async () => {
    const { local, db, load, loads } = setup();
    await local.invalidate([2]);
    expect(await local.isMember(2, 20, load)).toBe(true);
    db.set(2, [21]);
    await local.invalidate([2]);
    expect(await local.isMember(2, 20, load)).toBe(false);
    expect(await local.isMember(2, 21, load)).toBe(true);
    expect(loads()).toBe(2);
  });

  it('does not keep a list whose load an invalidation overtook', async () => {
    const { local, db } = setup();
    await local.invalidate([3]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowLoad = async (relationId: number) => {
      const before = db.get(relationId) ?? [];
      await gate;
      return before;
    };
    const pending = local.isMember(3, 30, slowLoad);
    db.set(3, [31]);
    await local.invalidate([3]);
    release();
    expect(await pending).toBe(true);
    // The stale answer was not kept: the next check loads the changed list.
    expect(await local.isMember(3, 30, async (r) => db.get(r) ?? [])).toBe(false);
  });

  it('asks again after its time to live', async () => {
    const { shared, local, load } = setup();
    const spy = jest.spyOn(shared, 'members');
    await local.isMember(1, 10, load);
    clock += 999;
    await local.isMember(1, 10, load);
    clock += 2;
    await local.isMember(1, 10, load);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('holds at most maxEntries relations, dropping the oldest', async () => {
    const { shared, local, load } = setup(2);
    const spy = jest.spyOn(shared, 'members');
    await local.isMember(1, 10, load);
    await local.isMember(2, 20, load);
    await local.isMember(3, 30, load);
    expect(spy).toHaveBeenCalledTimes(3);
    await local.isMember(3, 30, load);
    await local.isMember(2, 20, load);
    expect(spy).toHaveBeenCalledTimes(3);
    await local.isMember(1, 10, load);
    expect(spy).toHaveBeenCalledTimes(4);
  });
});
