import { InfrastructureError } from '@chat/protocol';
import { waitFor } from '@chat/testing';
import type { BatchHandler, Bus, BusRecord } from '../bus';

/** A fresh bus for one test, and how to release it (closing twice must be fine). */
export interface BusUnderTest {
  bus: Bus;
  cleanup(): Promise<void>;
}

/** Generous: a Kafka member may have to join a group and wait out a rebalance first. */
const DEADLINE = { timeoutMs: 20_000 };

const text = (r: BusRecord): string => r.value.toString('utf8');
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Records every batch a handler receives. */
function collector() {
  const batches: BusRecord[][] = [];
  const records: BusRecord[] = [];
  const handle: BatchHandler = async (batch) => {
    batches.push(batch);
    records.push(...batch);
  };
  return { batches, records, handle, values: () => records.map(text) };
}

/**
 * The behaviour every `Bus` adapter must show (docs/architecture.md, Guarantees: no loss, order
 * per key, commit after the side effect). Run by each adapter's spec with a factory that
 * builds a fresh bus per test; topic and group names are unique per test, so adapters that
 * share a broker across tests stay isolated.
 */
export function busContract(name: string, make: () => Promise<BusUnderTest>): void {
  describe(`${name} (bus contract)`, () => {
    let current: BusUnderTest | undefined;
    let testNo = 0;
    const bus = (): Bus => current!.bus;
    /** A name no other test of this run uses. */
    const unique = (what: string): string => `contract${testNo}.${what}`;

    beforeEach(async () => {
      testNo++;
      current = await make();
    });

    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    it('delivers a published record with its topic, key, value and headers', async () => {
      const topic = unique('roundtrip');
      const got = collector();
      await bus().subscribe(unique('group'), [topic], got.handle);
      const before = Date.now();
      await bus().publish(topic, 'conversation-1', Buffer.from([0, 1, 2, 255]), { kind: 'x' });
      await bus().publish(topic, 'conversation-1', 'héllo');

      await waitFor(() => got.records.length >= 2, { ...DEADLINE, what: 'two records' });
      const [binary, utf8] = got.records;
      expect(binary).toMatchObject({ topic, key: 'conversation-1', headers: { kind: 'x' } });
      expect(binary.value.equals(Buffer.from([0, 1, 2, 255]))).toBe(true);
      expect(binary.offset).toMatch(/^\d+$/);
      expect(binary.timestamp).toBeGreaterThanOrEqual(before - 1000);
      expect(text(utf8)).toBe('héllo');
      expect(utf8.headers).toEqual({});
      expect(BigInt(utf8.offset)).toBe(BigInt(binary.offset) + 1n);
    });

    it('keeps publish order per key while many keys interleave', async () => {
      const topic = unique('order');
      const keys = range(12).map((k) => `key-${k}`);
      const perKey = 15;
      const got = collector();
      await bus().subscribe(unique('group'), [topic], got.handle, { maxBatchSize: 7 });

      // Not awaited one by one: concurrent calls must keep their call order per key.
      const calls: Promise<void>[] = [];
      for (let i = 0; i < perKey; i++) {
        if (i % 2 === 0) {
          calls.push(bus().publishMany(keys.map((key) => ({ topic, key, value: `${key}:${i}` }))));
        } else {
          for (const key of keys) calls.push(bus().publish(topic, key, `${key}:${i}`));
        }
      }
      await Promise.all(calls);

      await waitFor(() => got.records.length >= keys.length * perKey, {
        ...DEADLINE,
        what: 'every record',
      });
      expect(got.records).toHaveLength(keys.length * perKey);
      for (const key of keys) {
        const mine = got.records.filter((r) => r.key === key);
        expect(mine.map(text)).toEqual(range(perKey).map((i) => `${key}:${i}`));
        expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      }
      for (const batch of got.batches) {
        expect(batch.length).toBeGreaterThan(0);
        expect(batch.length).toBeLessThanOrEqual(7);
        expect(new Set(batch.map((r) => r.partition)).size).toBe(1);
        const offsets = batch.map((r) => BigInt(r.offset));
        expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }
    });

    it('with concurrency, handles batches of several partitions at once, each partition in order', async () => {
      const topic = unique('concurrent');
      const keys = range(12).map((k) => `key-${k}`);
      const perKey = 10;
      const got = collector();
      let inHand = 0;
      let mostInHand = 0;
      const partitionsInHand = new Set<number>();
      await bus().subscribe(
        unique('group'),
        [topic],
        async (batch) => {
          const partition = batch[0].partition;
          // Never two batches of one partition at once.
          expect(partitionsInHand.has(partition)).toBe(false);
          partitionsInHand.add(partition);
          mostInHand = Math.max(mostInHand, ++inHand);
          await new Promise((resolve) => setTimeout(resolve, 30));
          inHand--;
          partitionsInHand.delete(partition);
          await got.handle(batch);
        },
        { concurrency: 4, maxBatchSize: 5 },
      );
      const expected: string[] = [];
      for (let i = 0; i < perKey; i++) for (const key of keys) expected.push(`${key}:${i}`);
      await bus().publishMany(
        expected.map((value) => ({ topic, key: value.split(':')[0], value })),
      );

      await waitFor(() => got.records.length >= expected.length, {
        ...DEADLINE,
        what: 'every record',
      });
      expect(mostInHand).toBeGreaterThan(1);
      expect(mostInHand).toBeLessThanOrEqual(4);
      for (const key of keys) {
        expect(got.records.filter((r) => r.key === key).map(text)).toEqual(
          range(perKey).map((i) => `${key}:${i}`),
        );
      }
    });

    it('reports as backlog the records a group has not committed yet', async () => {
      const topic = unique('backlog');
      const group = unique('group');
      await bus().ensureTopics([topic]);
      expect(await bus().backlog(group, [topic])).toBe(0);
      await bus().publishMany(range(10).map((i) => ({ topic, key: `k${i}`, value: `v${i}` })));
      expect(await bus().backlog(group, [topic])).toBe(10);
      const got = collector();
      await bus().subscribe(group, [topic], got.handle);
      await waitFor(async () => (await bus().backlog(group, [topic])) === 0, {
        ...DEADLINE,
        what: 'the backlog to reach zero once the group committed everything',
      });
      expect(got.records).toHaveLength(10);
    });

    it('gives every group every record', async () => {
      const topic = unique('fanout');
      const first = collector();
      const second = collector();
      await bus().subscribe(unique('persister'), [topic], first.handle);
      await bus().subscribe(unique('notifier'), [topic], second.handle);
      const expected = range(20).map((i) => `m${i}`);
      await bus().publishMany(expected.map((value, i) => ({ topic, key: `k${i % 5}`, value })));

      await waitFor(() => first.records.length >= 20 && second.records.length >= 20, {
        ...DEADLINE,
        what: 'both groups to receive everything',
      });
      expect(first.values().sort()).toEqual([...expected].sort());
      expect(second.values().sort()).toEqual([...expected].sort());
    });

    it('splits partitions between two members of a group, which together receive each record once', async () => {
      const topic = unique('split');
      const group = unique('workers');
      const a = collector();
      const b = collector();
      await bus().subscribe(group, [topic], a.handle);
      await bus().subscribe(group, [topic], b.handle);
      const expected = range(80).map((i) => `r${i}`);
      await bus().publishMany(
        expected.map((value, i) => ({ topic, key: `conv-${i % 40}`, value })),
      );

      await waitFor(() => a.records.length + b.records.length >= expected.length, {
        ...DEADLINE,
        what: 'every record in one member or the other',
      });
      const all = [...a.values(), ...b.values()];
      expect(all.sort()).toEqual([...expected].sort());
      expect(a.records.length).toBeGreaterThan(0);
      expect(b.records.length).toBeGreaterThan(0);
      const partitionsOfA = new Set(a.records.map((r) => r.partition));
      expect(b.records.filter((r) => partitionsOfA.has(r.partition))).toEqual([]);
    });

    it('delivers the same records again after the handler throws, even a TypeError', async () => {
      const topic = unique('retry-first');
      const expected = range(10).map((i) => `v${i}`);
      await bus().publishMany(expected.map((value) => ({ topic, key: 'one-key', value })));
      const calls: string[][] = [];
      const handled: string[] = [];
      await bus().subscribe(
        unique('group'),
        [topic],
        async (batch) => {
          calls.push(batch.map(text));
          if (calls.length <= 2) throw new TypeError('failing on purpose');
          handled.push(...batch.map(text));
        },
        { maxBatchSize: 4 },
      );

      await waitFor(() => handled.length >= expected.length, { ...DEADLINE, what: 'recovery' });
      expect(calls[0][0]).toBe('v0');
      expect(calls[1]).toEqual(calls[0]);
      expect(calls[2]).toEqual(calls[0]);
      expect(handled).toEqual(expected);
    });

    it('redelivers a failed batch in the middle of a stream before any later record', async () => {
      const topic = unique('retry-middle');
      const expected = range(12).map((i) => `v${i}`);
      await bus().publishMany(expected.map((value) => ({ topic, key: 'one-key', value })));
      const calls: string[][] = [];
      const handled: string[] = [];
      let failed = false;
      await bus().subscribe(
        unique('group'),
        [topic],
        async (batch) => {
          const values = batch.map(text);
          calls.push(values);
          if (!failed && values.includes('v6')) {
            failed = true;
            throw new Error('failing on purpose');
          }
          handled.push(...values);
        },
        { maxBatchSize: 3 },
      );

      await waitFor(() => handled.length >= expected.length, { ...DEADLINE, what: 'recovery' });
      // Nothing lost, nothing repeated that had been handled, nothing overtook the failure.
      expect(handled).toEqual(expected);
      const failedAt = calls.findIndex((values) => values.includes('v6'));
      expect(calls[failedAt + 1]).toEqual(calls[failedAt]);
    });

    it('resumes a group after the records a stopped member handled, without loss or repeat', async () => {
      const topic = unique('resume');
      const group = unique('group');
      const expected = range(10).map((i) => `v${i}`);
      await bus().publishMany(expected.map((value) => ({ topic, key: 'one-key', value })));

      const first: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const sub = await bus().subscribe(
        group,
        [topic],
        async (batch) => {
          first.push(...batch.map(text));
          // Hold the fifth record until stop() has begun: it must still be committed.
          if (first.length === 5) await gate;
        },
        { maxBatchSize: 1 },
      );
      await waitFor(() => first.length >= 5, { ...DEADLINE, what: 'five records' });
      const stopping = sub.stop();
      release();
      await stopping;
      expect(first).toEqual(expected.slice(0, 5));

      const second = collector();
      await bus().subscribe(group, [topic], second.handle);
      await waitFor(() => second.records.length >= 5, { ...DEADLINE, what: 'the rest' });
      expect(second.values()).toEqual(expected.slice(5));
    });

    it('hands a batch that keeps failing to the next member once the failing one stops', async () => {
      const topic = unique('handover');
      const group = unique('group');
      await bus().publishMany(['a', 'b', 'c'].map((value) => ({ topic, key: 'one-key', value })));
      let attempts = 0;
      const failing = await bus().subscribe(group, [topic], async () => {
        attempts++;
        throw new Error('dependency down');
      });
      await waitFor(() => attempts >= 2, { ...DEADLINE, what: 'a redelivery' });
      await failing.stop();

      const next = collector();
      await bus().subscribe(group, [topic], next.handle);
      await waitFor(() => next.records.length >= 3, { ...DEADLINE, what: 'the handover' });
      expect(next.values()).toEqual(['a', 'b', 'c']);
    });

    it('starts a new group at the end: records published before subscribe are skipped, later ones arrive', async () => {
      const topic = unique('latest');
      // publish resolves only once the record is stored, so it lies before the start.
      await bus().publishMany(range(4).map((i) => ({ topic, key: `k${i}`, value: 'before' })));
      const got = collector();
      await bus().subscribe(unique('group'), [topic], got.handle, { fromBeginning: false });
      await bus().publishMany(range(4).map((i) => ({ topic, key: `k${i}`, value: `after${i}` })));

      await waitFor(() => got.records.length >= 4, { ...DEADLINE, what: 'the later records' });
      // An earlier record of a key would precede its later one in the same partition.
      expect(got.values().sort()).toEqual(['after0', 'after1', 'after2', 'after3']);
    });

    it('publishes to several topics in one call and a later subscriber reads them all', async () => {
      const messages = unique('messages');
      const reads = unique('reads');
      await bus().ensureTopics([messages, reads]);
      await bus().publishMany([
        { topic: messages, key: 'c1', value: 'm1' },
        { topic: reads, key: 'c1', value: 'r1', headers: { type: 'read' } },
        { topic: messages, key: 'c1', value: 'm2' },
      ]);
      const got = collector();
      await bus().subscribe(unique('group'), [messages, reads], got.handle);

      await waitFor(() => got.records.length >= 3, { ...DEADLINE, what: 'three records' });
      expect(got.records.filter((r) => r.topic === messages).map(text)).toEqual(['m1', 'm2']);
      expect(got.records.filter((r) => r.topic === reads)).toMatchObject([
        { value: Buffer.from('r1'), headers: { type: 'read' } },
      ]);
    });

    it('closes once, stopping subscriptions, and refuses work afterwards', async () => {
      const topic = unique('close');
      const sub = await bus().subscribe(unique('group'), [topic], async () => undefined);
      await bus().close();
      await bus().close();
      await sub.stop();
      await expect(bus().publish(topic, 'k', 'v')).rejects.toBeInstanceOf(InfrastructureError);
      await expect(
        bus().subscribe(unique('group'), [topic], async () => undefined),
      ).rejects.toBeInstanceOf(InfrastructureError);
    });
  });
}
