import { type CacheContractHarness } from './cache.contract';

/** Short TTL for cases that watch a node die (real milliseconds against Redis). */
const SHORT_MS = 300;
const LONG_MS = 60_000;

/**
 * Cases every `ConnectionCounts` adapter passes: limits hold over several nodes and under
 * concurrent acquires, and a node's counts stop adding up once its heartbeat lapses.
 */
export function connectionCountsContract(setup: () => CacheContractHarness): void {
  let counter = 0;
  const unique = (what: string) => `${what}-${++counter}-${Date.now().toString(36)}`;
  const counts = () => setup().adapters.connections;
  /** Acquires `n` times one after the other and says how many were admitted. */
  const acquireMany = async (node: string, key: string, limit: number, n: number) => {
    let admitted = 0;
    for (let i = 0; i < n; i++) if (await counts().acquire(node, key, limit)) admitted++;
    return admitted;
  };

  describe('connection counts', () => {
    it('admits up to the limit summed over the live nodes, then refuses', async () => {
      const [key, gw1, gw2] = [unique('acct'), unique('gw'), unique('gw')];
      await counts().heartbeat(gw1, LONG_MS);
      await counts().heartbeat(gw2, LONG_MS);
      expect(await acquireMany(gw1, key, 3, 2)).toBe(2);
      expect(await acquireMany(gw2, key, 3, 2)).toBe(1);
      expect(await counts().acquire(gw1, key, 3)).toBe(false);
      expect(await counts().total(key)).toBe(3);
    });

    it('frees a place on release, on whichever node it was counted', async () => {
      const [key, gw1, gw2] = [unique('acct'), unique('gw'), unique('gw')];
      await counts().heartbeat(gw1, LONG_MS);
      await counts().heartbeat(gw2, LONG_MS);
      expect(await acquireMany(gw1, key, 2, 2)).toBe(2);
      expect(await counts().acquire(gw2, key, 2)).toBe(false);
      await counts().release(gw1, key);
      expect(await counts().total(key)).toBe(1);
      expect(await counts().acquire(gw2, key, 2)).toBe(true);
      expect(await counts().acquire(gw1, key, 2)).toBe(false);
    });

    it('counts each key apart', async () => {
      const [a, b, gw] = [unique('acct'), unique('addr'), unique('gw')];
      await counts().heartbeat(gw, LONG_MS);
      expect(await acquireMany(gw, a, 2, 3)).toBe(2);
      expect(await acquireMany(gw, b, 2, 3)).toBe(2);
      expect(await counts().total(a)).toBe(2);
      expect(await counts().total(unique('other'))).toBe(0);
    });

    it('never goes below zero on a release without an acquire', async () => {
      const [key, gw] = [unique('acct'), unique('gw')];
      await counts().heartbeat(gw, LONG_MS);
      await counts().release(gw, key);
      await counts().release(gw, key);
      expect(await counts().total(key)).toBe(0);
      expect(await acquireMany(gw, key, 2, 3)).toBe(2);
    });

    it('admits exactly the limit when acquires from several nodes race', async () => {
      const key = unique('acct');
      const nodes = [unique('gw'), unique('gw'), unique('gw')];
      for (const node of nodes) await counts().heartbeat(node, LONG_MS);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => counts().acquire(nodes[i % 3], key, 7)),
      );
      expect(results.filter(Boolean)).toHaveLength(7);
      expect(await counts().total(key)).toBe(7);
    });

    it('adds up nothing of a node that never beat', async () => {
      const [key, silent] = [unique('acct'), unique('gw')];
      expect(await acquireMany(silent, key, 2, 2)).toBe(2);
      expect(await counts().total(key)).toBe(0);
    });

    it('stops counting a node once its heartbeat expired, and a later beat does not revive it', async () => {
      const [key, dead, live] = [unique('acct'), unique('gw'), unique('gw')];
      await counts().heartbeat(dead, SHORT_MS);
      await counts().heartbeat(live, LONG_MS);
      expect(await acquireMany(dead, key, 3, 3)).toBe(3);
      expect(await counts().acquire(live, key, 3)).toBe(false);
      await setup().eventually(
        async () => (await counts().total(key)) === 0,
        'the dead node to stop counting',
      );
      expect(await acquireMany(live, key, 3, 4)).toBe(3);
      // The acquires removed what the dead node held: beating again brings none of it back.
      await counts().heartbeat(dead, LONG_MS);
      expect(await counts().total(key)).toBe(3);
    });

    it('keeps a node counting while it beats within its TTL', async () => {
      const [key, gw] = [unique('acct'), unique('gw')];
      await counts().heartbeat(gw, SHORT_MS * 2);
      expect(await acquireMany(gw, key, 5, 2)).toBe(2);
      for (let i = 0; i < 3; i++) {
        await setup().elapse(SHORT_MS);
        await counts().heartbeat(gw, SHORT_MS * 2);
      }
      expect(await counts().total(key)).toBe(2);
    });

    it('drops a node’s counts at once on dropNode, and only that node’s', async () => {
      const [key, gone, kept] = [unique('acct'), unique('gw'), unique('gw')];
      await counts().heartbeat(gone, LONG_MS);
      await counts().heartbeat(kept, LONG_MS);
      await acquireMany(gone, key, 10, 2);
      await acquireMany(kept, key, 10, 1);
      await counts().dropNode(gone);
      expect(await counts().total(key)).toBe(1);
      await counts().heartbeat(gone, LONG_MS);
      expect(await counts().total(key)).toBe(1);
    });

    it('restores a node’s counts as given, zero removing a key', async () => {
      const [a, b, c, gw] = [unique('acct'), unique('acct'), unique('acct'), unique('gw')];
      await counts().heartbeat(gw, LONG_MS);
      await acquireMany(gw, a, 10, 1);
      await acquireMany(gw, c, 10, 2);
      await counts().restore(gw, [
        [a, 4],
        [b, 2],
        [c, 0],
      ]);
      expect(await counts().total(a)).toBe(4);
      expect(await counts().total(b)).toBe(2);
      expect(await counts().total(c)).toBe(0);
      expect(await counts().acquire(gw, a, 5)).toBe(true);
      expect(await counts().acquire(gw, a, 5)).toBe(false);
    });

    it('restores many keys at once', async () => {
      const gw = unique('gw');
      const keys = Array.from({ length: 1200 }, () => unique('addr'));
      await counts().heartbeat(gw, LONG_MS);
      await counts().restore(
        gw,
        keys.map((k) => [k, 1] as const),
      );
      expect(await counts().total(keys[0])).toBe(1);
      expect(await counts().total(keys[1199])).toBe(1);
    });
  });
}
