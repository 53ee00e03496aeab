import type { PresenceEntry, PresenceState } from '@chat/cache';
import type { BusRecord } from '@chat/bus';
import { createLogger } from '@chat/logger';
import { Notifier } from './notifier';
import type { Planner } from './plans/plan';
import { PresenceHold } from './presence-hold';

const log = createLogger({ name: 'test', level: 'silent' });
const SETTLED: PresenceState = { lost: false, rebuildingMs: 0 };
const LOST: PresenceState = { lost: true, rebuildingMs: 0 };

/** A hold on a clock the test moves. */
function holdAt(start = 1_000_000) {
  const clock = { t: start };
  const warnings: string[] = [];
  const warnLog = {
    ...log,
    warn: (_o: unknown, msg: string) => void warnings.push(msg),
  } as unknown as typeof log;
  const hold = new PresenceHold({
    log: warnLog,
    lostBoundMs: 2500,
    pollMs: 200,
    maxHoldMs: 5000,
    now: () => clock.t,
  });
  return { hold, clock, warnings };
}

describe('PresenceHold', () => {
  it('routes at once when presence is complete', () => {
    const { hold, clock } = holdAt();
    expect(hold.waitMs(SETTLED, clock.t)).toBe(0);
  });

  it('waits out a rebuild under way, then routes', () => {
    const { hold, clock } = holdAt();
    const since = clock.t;
    expect(hold.waitMs({ lost: false, rebuildingMs: 1800 }, since)).toBe(1800);
    clock.t += 1800;
    expect(hold.waitMs(SETTLED, since)).toBe(0);
  });

  it('re-reads a lost presence until a gateway recreates the marker', () => {
    const { hold, clock, warnings } = holdAt();
    const since = clock.t;
    expect(hold.waitMs(LOST, since)).toBe(200);
    clock.t += 200;
    expect(hold.waitMs(LOST, since)).toBe(200);
    clock.t += 200;
    // The first gateway beat back: it found its entries lost and started a rebuild.
    expect(hold.waitMs({ lost: false, rebuildingMs: 2500 }, since)).toBe(2500);
    clock.t += 2500;
    expect(hold.waitMs(SETTLED, since)).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('stops waiting for a marker no gateway recreates, and does not wait for it again', () => {
    const { hold, clock, warnings } = holdAt();
    const first = clock.t;
    let waits = 0;
    for (let w = hold.waitMs(LOST, first); w > 0; w = hold.waitMs(LOST, first)) {
      clock.t += w;
      waits++;
    }
    expect(clock.t - first).toBe(2500);
    expect(waits).toBe(Math.ceil(2500 / 200));
    expect(warnings).toHaveLength(1);
    // Later batches route at once while the marker stays missing (no gateway at all)...
    clock.t += 60_000;
    expect(hold.waitMs(LOST, clock.t)).toBe(0);
    expect(warnings).toHaveLength(1);
    // ...and once it is back and lost again, the wait starts over.
    expect(hold.waitMs(SETTLED, clock.t)).toBe(0);
    expect(hold.waitMs(LOST, clock.t)).toBe(200);
  });

  it('never holds one batch past its bound, whatever presence says', () => {
    const { hold, clock, warnings } = holdAt();
    const since = clock.t;
    const rebuilding = { lost: false, rebuildingMs: 60_000 };
    expect(hold.waitMs(rebuilding, since)).toBe(5000);
    clock.t += 5000;
    expect(hold.waitMs(rebuilding, since)).toBe(0);
    expect(warnings).toHaveLength(1);
  });
});

describe('Notifier while presence is rebuilt', () => {
  const record: BusRecord = {
    topic: 'chat.stored',
    partition: 0,
    offset: '1',
    key: '5',
    value: Buffer.from('{}'),
    headers: {},
    timestamp: 0,
  };
  const frame = { event: 'send_msg', data: { id: 1 } };

  function harness(states: PresenceState[], online: Map<number, PresenceEntry[]>[]) {
    const { hold, clock } = holdAt();
    const events: string[] = [];
    const planner: Planner = {
      plan: async () => ({
        pushes: [{ key: '5', frame, to: [7] }],
        mark: async () => {
          events.push('mark');
        },
        repeats: 0,
        unreadable: [],
      }),
    };
    let reads = 0;
    const published: string[] = [];
    const notifier = new Notifier({
      planners: { 'chat.stored': planner },
      presence: {
        snapshot: async () => {
          const i = Math.min(reads++, states.length - 1);
          events.push(`read ${states[i].lost ? 'lost' : states[i].rebuildingMs}`);
          return { online: online[i], state: states[i] };
        },
      },
      bus: {
        publishMany: async (recs) => {
          events.push('publish');
          published.push(...recs.map((r) => r.topic));
        },
      },
      deadLetters: {
        unreadable: () => {
          throw new Error('none expected');
        },
        outgoing: () => [],
        published: () => undefined,
        send: async () => undefined,
      },
      log,
      hold,
      sleep: async (ms) => {
        events.push(`wait ${ms}`);
        clock.t += ms;
      },
    });
    return { notifier, events, published };
  }

  it('routes by the presence the gateways announced again, not by the empty one', async () => {
    const empty = new Map([[7, []]]);
    const back = new Map([[7, [{ connId: 'c1', nodeId: 'gw2' }]]]);
    const { notifier, events, published } = harness(
      [LOST, { lost: false, rebuildingMs: 2000 }, SETTLED],
      [empty, empty, back],
    );
    await notifier.handle([record]);
    expect(events).toEqual([
      'read lost',
      'wait 200',
      'read 2000',
      'wait 2000',
      'read 0',
      'publish',
      'mark',
    ]);
    expect(published).toEqual(['push.gw2']);
  });

  it('routes at once when presence is complete', async () => {
    const here = new Map([[7, [{ connId: 'c1', nodeId: 'gw1' }]]]);
    const { notifier, events, published } = harness([SETTLED], [here]);
    await notifier.handle([record]);
    expect(events).toEqual(['read 0', 'publish', 'mark']);
    expect(published).toEqual(['push.gw1']);
  });
});
