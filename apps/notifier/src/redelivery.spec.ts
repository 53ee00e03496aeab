import type { BusRecord, OutgoingRecord } from '@chat/bus';
import { messageRecord } from '@chat/bus/testing';
import { createCacheAdapters, type Cache, type PresenceEntry } from '@chat/cache';
import { DeliverySources } from '@chat/domain';
import { SnowflakeGenerator } from '@chat/ids';
import { createLogger } from '@chat/logger';
import {
  deliveryRecordSchema,
  PUSH_EVENTS,
  TOPICS,
  type ChatEvent,
  type DeliveryRecord,
  type StoredRecord,
} from '@chat/protocol';
import { Notifier } from './notifier';
import { EventsPlanner } from './plans/events.planner';
import { StoredPlanner } from './plans/stored.planner';
import { PushMarks } from './push-marks';

const log = createLogger({ name: 'test', level: 'silent' });
const ids = new SnowflakeGenerator({ nodeId: 3 });
const RELATION = 40;
const [ANN, BOB, CAT] = [1, 2, 3];
/** Ann and Bob on gateway gw1, Cat on gw1 and gw2. */
const online = new Map<number, PresenceEntry[]>([
  [ANN, [{ connId: 'a1', nodeId: 'gw1' }]],
  [BOB, [{ connId: 'b1', nodeId: 'gw1' }]],
  [
    CAT,
    [
      { connId: 'c1', nodeId: 'gw1' },
      { connId: 'c2', nodeId: 'gw2' },
    ],
  ],
]);

const busRecord = (topic: string, offset: number, value: unknown): BusRecord => ({
  topic,
  partition: 1,
  offset: String(offset),
  key: String(RELATION),
  value: Buffer.from(JSON.stringify(value)),
  headers: {},
  timestamp: Date.now(),
});

/** Three messages of Ann's, the second mentioning Cat (two pushes), at offsets 70..72. */
function storedBatch(): BusRecord[] {
  return [1, 2, 3].map((seq) => {
    const value: StoredRecord = {
      message: messageRecord(ids, RELATION, ANN),
      seq,
      rly_msg: null,
      ...(seq === 2 ? { mentions: [CAT] } : {}),
    };
    return busRecord(TOPICS.stored, 69 + seq, value);
  });
}

function eventBatch(): BusRecord[] {
  const event: ChatEvent = {
    id: 'ev-1',
    at: new Date().toISOString(),
    push: { event: PUSH_EVENTS.editMsg, data: { relation_id: RELATION }, to: [ANN, BOB, CAT] },
  };
  return [busRecord(TOPICS.events, 5, event)];
}

/** A notifier sharing `cache` with the others, publishing into `published`. */
function notifier(cache: Pick<Cache, 'get' | 'set'>, published: OutgoingRecord[]): Notifier {
  const marks = new PushMarks(cache);
  return new Notifier({
    planners: {
      [TOPICS.stored]: new StoredPlanner({
        receivers: { membersOf: async () => new Map([[RELATION, [ANN, BOB, CAT]]]) },
        marks,
        log,
      }),
      [TOPICS.events]: new EventsPlanner({ marks, log }),
    },
    presence: { snapshot: async () => ({ online, state: { lost: false, rebuildingMs: 0 } }) },
    bus: { publishMany: async (records) => void published.push(...records) },
    deadLetters: {
      unreadable: (_record, err) => {
        throw new Error(`unreadable: ${String(err)}`);
      },
      outgoing: () => [],
      published: () => undefined,
      send: async () => undefined,
    },
    log,
  });
}

/** What each gateway writes of `published`, read in order from one delivery partition. */
function written(published: OutgoingRecord[]): { node: string; record: DeliveryRecord }[] {
  const sources = new Map<string, DeliverySources>();
  return published.flatMap((r) => {
    const record = deliveryRecordSchema.parse(JSON.parse(String(r.value)));
    const node = r.topic;
    if (!sources.has(node)) sources.set(node, new DeliverySources());
    return !record.source || sources.get(node)!.advance(0, record.source) ? [{ node, record }] : [];
  });
}

/** A cache whose writes fail: the notifier dies between its publish and its marks. */
function diesBeforeMarking(cache: Cache): Pick<Cache, 'get' | 'set'> {
  return {
    get: (key) => cache.get(key),
    set: async () => {
      throw new Error('killed');
    },
  };
}

describe.each([
  ['chat.stored', storedBatch, 7],
  ['chat.events', eventBatch, 2],
])('a %s batch planned again after its notifier died', (_topic, batch, deliveries) => {
  it('is published again, and each gateway writes each push once', async () => {
    const { cache } = createCacheAdapters({ kind: 'memory' }, log);
    const records = batch();
    const first: OutgoingRecord[] = [];
    await notifier(diesBeforeMarking(cache), first).handle(records);
    expect(first).toHaveLength(deliveries);

    // Not committed: another notifier gets the same records and finds no marks.
    const again: OutgoingRecord[] = [];
    await notifier(cache, again).handle(records);
    expect(again.map((r) => String(r.value))).toEqual(first.map((r) => String(r.value)));

    const all = written([...first, ...again]);
    expect(all).toEqual(written(first));
    expect(all).toHaveLength(deliveries);
  });

  it('is not published again once its pushes were marked', async () => {
    const { cache } = createCacheAdapters({ kind: 'memory' }, log);
    const records = batch();
    const first: OutgoingRecord[] = [];
    await notifier(cache, first).handle(records);
    const again: OutgoingRecord[] = [];
    await notifier(cache, again).handle(records);
    expect([first.length, again.length]).toEqual([deliveries, 0]);
  });

  it('leaves no mark when the publish fails, so the retried batch pushes', async () => {
    const { cache } = createCacheAdapters({ kind: 'memory' }, log);
    const records = batch();
    const failing = notifier(cache, []);
    (failing as unknown as { deps: { bus: unknown } }).deps.bus = {
      publishMany: async () => {
        throw new Error('broker gone');
      },
    };
    await expect(failing.handle(records)).rejects.toThrow('broker gone');
    const retried: OutgoingRecord[] = [];
    await notifier(cache, retried).handle(records);
    expect(written(retried)).toHaveLength(deliveries);
  });
});
