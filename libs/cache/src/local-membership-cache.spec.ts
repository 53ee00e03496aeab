import { createLogger } from '@chat/logger';
import { createCacheAdapters } from './create-cache';
import { LocalMembershipCache } from './local-membership-cache';

describe('LocalMembershipCache', () => {
  let clock = 1_700_000_000_000;
  const log = createLogger({ name: 'cache-test', level: 'silent' });

  function setup(maxEntries?: number) {
    // A store of its own per case: the shared cache of one deployment.
    const adapters = createCacheAdapters({ kind: 'memory', now: () => clock }, log);
    const shared = adapters.membership({ ttlMs: 3_600_000 });
    const local = new LocalMembershipCache(shared, { ttlMs: 1000, maxEntries, now: () => clock });
    // Another process on the same shared store: the api, which invalidates after a change.
    const api = adapters.membership({ ttlMs: 3_600_000 });
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
    return { shared, local, api, db, load, loads: () => loads };
  }

  it('answers a repeated check from the process, reading only the version from the shared cache', async () => {
    const { shared, local, load } = setup();
    const lists = jest.spyOn(shared, 'versionedMembers');
    const versions = jest.spyOn(shared, 'version');
    expect(await local.isMember(1, 10, load)).toBe(true);
    expect(await local.isMember(1, 12, load)).toBe(false);
    expect(await local.members(1, load)).toEqual([10, 11]);
    expect(lists).toHaveBeenCalledTimes(1);
    // Every check after the first compared the version, and nothing else.
    expect(versions).toHaveBeenCalledTimes(2);
  });

  it('refuses a member who left as soon as the shared cache was invalidated, before its own invalidate', async () => {
    const { local, api, db, load, loads } = setup();
    await api.invalidate([1]);
    expect(await local.isMember(1, 11, load)).toBe(true);
    expect(await local.isMember(1, 11, load)).toBe(true);
    // The change commits, then the api invalidates the shared cache and answers; the event
    // that would clear this process's front has not arrived.
    db.set(1, [10]);
    await api.invalidate([1]);
    expect(await local.isMember(1, 11, load)).toBe(false);
    expect(await local.isMember(1, 10, load)).toBe(true);
    expect(loads()).toBe(2);
    // The late event changes nothing of the answers.
    await local.invalidate([1]);
    expect(await local.isMember(1, 11, load)).toBe(false);
  });

  it('keeps answering from the process while the version does not move', async () => {
    const { local, api, load, loads } = setup();
    await local.isMember(2, 20, load);
    await api.invalidate([3]);
    for (let i = 0; i < 5; i++) expect(await local.isMember(2, 20, load)).toBe(true);
    expect(loads()).toBe(1);
  });

  it('gives the list with the version it is current at', async () => {
    const { local, api, db, load } = setup();
    await api.invalidate([2]);
    const first = await local.versionedMembers(2, load);
    expect(first).toEqual({ members: [20], version: await api.version(2) });
    db.set(2, [20, 21]);
    await api.invalidate([2]);
    const second = await local.versionedMembers(2, load);
    expect(second).toEqual({ members: [20, 21], version: await api.version(2) });
    expect(second.version).not.toBe(first.version);
    expect(await local.version(2)).toBe(second.version);
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

  it('does not trust a list whose load another process’s invalidation overtook', async () => {
    const { local, api, db } = setup();
    await api.invalidate([3]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowLoad = async (relationId: number) => {
      const before = db.get(relationId) ?? [];
      await gate;
      return before;
    };
    // The load reads the old list at once; then the change and the api's invalidation.
    const pending = local.isMember(3, 30, slowLoad);
    db.set(3, [31]);
    await api.invalidate([3]);
    release();
    expect(await pending).toBe(true);
    expect(await local.isMember(3, 30, async (r) => db.get(r) ?? [])).toBe(false);
  });

  it('asks again after its time to live', async () => {
    const { shared, local, load } = setup();
    const spy = jest.spyOn(shared, 'versionedMembers');
    await local.isMember(1, 10, load);
    clock += 999;
    await local.isMember(1, 10, load);
    clock += 2;
    await local.isMember(1, 10, load);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('holds at most maxEntries relations, dropping the oldest', async () => {
    const { shared, local, load } = setup(2);
    const spy = jest.spyOn(shared, 'versionedMembers');
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
