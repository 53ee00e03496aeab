import { createLogger } from '@chat/logger';
import { waitFor } from '@chat/testing';
import { busContract } from '@chat/bus/testing';
import type { BusRecord } from './bus';
import { MemoryBus } from './memory-bus';

const log = createLogger({ name: 'bus-test', level: 'silent' });

busContract('MemoryBus', async () => {
  const bus = new MemoryBus({ partitions: 4 }, log);
  return { bus, cleanup: () => bus.close() };
});

describe('MemoryBus retention', () => {
  it('keeps records a group has not committed, and only the newest ones for later groups', async () => {
    const bus = new MemoryBus({ partitions: 1, retainedRecordsPerPartition: 2 }, log);
    const lagging: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // A group that holds its first batch: nothing it has not committed may be dropped.
    await bus.subscribe(
      'lagging',
      ['t'],
      async (batch: BusRecord[]) => {
        await gate;
        lagging.push(...batch.map((r) => r.value.toString()));
      },
      { maxBatchSize: 1 },
    );
    await bus.publishMany(
      ['a', 'b', 'c', 'd', 'e'].map((value) => ({ topic: 't', key: 'k', value })),
    );
    release();
    await waitFor(() => lagging.length >= 5, { what: 'the lagging group' });
    expect(lagging).toEqual(['a', 'b', 'c', 'd', 'e']);

    const late: string[] = [];
    await bus.subscribe('late', ['t'], async (batch) => {
      late.push(...batch.map((r) => r.value.toString()));
    });
    await waitFor(() => late.length >= 2, { what: 'the late group' });
    expect(late).toEqual(['d', 'e']);
    await bus.close();
  });

  it('rejects a partition count that is not a positive integer', () => {
    expect(() => new MemoryBus({ partitions: 0 }, log)).toThrow(RangeError);
  });
});

describe('MemoryBus caughtUp', () => {
  it('resolves once every live group has committed every record, and false at the deadline', async () => {
    const bus = new MemoryBus({ partitions: 2 }, log);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    await bus.subscribe('slow', ['t'], async (batch) => {
      await gate;
      handled.push(...batch.map((r) => r.value.toString()));
    });
    // A group that stopped does not hold anyone up.
    const gone = await bus.subscribe('gone', ['t'], async () => undefined);
    await gone.stop();
    await bus.publishMany(['a', 'b', 'c'].map((value) => ({ topic: 't', key: value, value })));

    expect(await bus.caughtUp(50)).toBe(false);
    release();
    expect(await bus.caughtUp(5_000)).toBe(true);
    expect(handled.sort()).toEqual(['a', 'b', 'c']);
    await bus.close();
  });
});

describe('MemoryBus durableAfter', () => {
  it('resolves a publish only once the durable group has handled and committed the record', async () => {
    const bus = new MemoryBus({ partitions: 2, durableAfter: { msgs: 'persister' } }, log);
    const handled: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await bus.subscribe('persister', ['msgs'], async (batch) => {
      await gate;
      handled.push(...batch.map((r) => r.value.toString()));
    });
    let isAcked = false;
    const published = bus.publish('msgs', 'k', 'm1').then(() => (isAcked = true));
    // A topic without a durable group resolves on append, as before.
    await bus.publish('other', 'k', 'x');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(isAcked).toBe(false);
    release();
    await published;
    expect(handled).toEqual(['m1']);
    await bus.close();
  });

  it('fails a publish still waiting for its group when the bus closes', async () => {
    const bus = new MemoryBus({ partitions: 1, durableAfter: { msgs: 'persister' } }, log);
    const published = bus.publish('msgs', 'k', 'never handled');
    await bus.close();
    await expect(published).rejects.toThrow(/closed/);
  });

  it('counts the records a group has not committed as its backlog', async () => {
    const bus = new MemoryBus({ partitions: 3 }, log);
    await bus.publishMany(
      Array.from({ length: 9 }, (_, i) => ({ topic: 'b', key: `k${i}`, value: `v${i}` })),
    );
    expect(await bus.backlog('nobody-yet', ['b'])).toBe(9);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await bus.subscribe('g', ['b'], () => gate);
    expect(await bus.backlog('g', ['b'])).toBe(9);
    release();
    await waitFor(async () => (await bus.backlog('g', ['b'])) === 0, {
      what: 'the group to commit',
    });
    await bus.close();
  });
});
