import type { BusRecord } from '@chat/bus';
import { createLogger } from '@chat/logger';
import { EventsConsumer } from './events-consumer';

const log = createLogger({ name: 'test', level: 'silent' });

function record(offset: number, value: unknown): BusRecord {
  return {
    topic: 'chat.events',
    partition: 0,
    offset: String(offset),
    key: '1',
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    headers: {},
    timestamp: Date.now(),
  };
}

describe('EventsConsumer', () => {
  let invalidated: number[][];
  let revoked: [number, number][];
  let rechecked: number[][];
  let consumer: EventsConsumer;

  beforeEach(() => {
    invalidated = [];
    revoked = [];
    rechecked = [];
    consumer = new EventsConsumer(
      { invalidate: async (ids) => void invalidated.push(ids) },
      {
        // Answers how many sockets it closed.
        revoke: (accountId, epoch) => revoked.push([accountId, epoch]),
      },
      { relationsChanged: async (ids) => void rechecked.push(ids) },
      log,
    );
  });

  it('drops the changed relations once per batch and ends the revoked sessions', async () => {
    await consumer.handle([
      record(1, {
        id: 'e1',
        at: '2026-12-04T00:00:00Z',
        effects: { membershipChanged: [5, 6], tokensRevoked: [{ accountId: 9, epoch: 3 }] },
      }),
      record(2, { id: 'e2', at: '2026-12-04T00:00:01Z', effects: { membershipChanged: [6, 7] } }),
    ]);
    expect(invalidated).toEqual([[5, 6, 7]]);
    expect(revoked).toEqual([[9, 3]]);
    // The presence subscriptions those relations ground are checked again, once per batch.
    expect(rechecked).toEqual([[5, 6, 7]]);
  });

  it('throws when the presence check fails, so the batch is delivered again', async () => {
    const failing = new EventsConsumer(
      { invalidate: async (ids) => void invalidated.push(ids) },
      { revoke: () => 0 },
      {
        relationsChanged: async () => {
          throw new Error('database down');
        },
      },
      log,
    );
    await expect(
      failing.handle([record(1, { id: 'e1', at: 'x', effects: { membershipChanged: [3] } })]),
    ).rejects.toThrow('database down');
    expect(invalidated).toEqual([[3]]);
  });

  it('hands the event’s push to the revocation of each account it is addressed to', async () => {
    const ends: [number, number, string | undefined][] = [];
    const withFrames = new EventsConsumer(
      { invalidate: async () => undefined },
      { revoke: (accountId, epoch, lastFrame) => ends.push([accountId, epoch, lastFrame]) },
      { relationsChanged: async () => undefined },
      log,
    );
    const push = { event: 'update_email', data: { email: 'new@example.com' }, to: [9] };
    await withFrames.handle([
      record(1, {
        id: 'e1',
        at: '2026-12-04T00:00:00Z',
        push,
        effects: {
          tokensRevoked: [
            { accountId: 9, epoch: 3 },
            { accountId: 10, epoch: 2 },
          ],
        },
      }),
    ]);
    expect(ends).toEqual([
      [9, 3, JSON.stringify({ event: 'update_email', data: { email: 'new@example.com' } })],
      [10, 2, undefined],
    ]);
  });

  it('skips records that break the chat.events contract and keeps the others', async () => {
    await consumer.handle([
      record(1, 'not json'),
      // Ids must be positive integers: a record with a bad one is not half-applied.
      record(2, { id: 'e2', at: 'x', effects: { membershipChanged: [4, -1] } }),
      record(3, { id: 'e3', at: 'x', effects: { tokensRevoked: [{ accountId: 2, epoch: 0 }] } }),
      record(4, { id: 'e4', at: 'x', effects: { membershipChanged: [8] } }),
    ]);
    expect(invalidated).toEqual([[8]]);
    expect(revoked).toEqual([]);
  });

  it('invalidates nothing for a batch without membership changes', async () => {
    await consumer.handle([record(1, { id: 'e1', at: 'x', push: undefined })]);
    expect(invalidated).toEqual([]);
    expect(rechecked).toEqual([]);
  });
});
