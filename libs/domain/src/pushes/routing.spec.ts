import type { PresenceEntry } from '@chat/cache';
import type { DeliveryRecord } from '@chat/protocol';
import { route, type PlannedPush } from './routing';

const frame = { event: 'send_msg', data: { x: 1 } };
const online = new Map<number, PresenceEntry[]>([
  [1, [{ connId: 'a1', nodeId: 'gw1' }]],
  [
    2,
    [
      { connId: 'b1', nodeId: 'gw1' },
      { connId: 'b2', nodeId: 'gw2' },
      { connId: 'b3', nodeId: 'gw2' },
    ],
  ],
  [3, []],
  [5, [{ connId: 'e1', nodeId: 'gw2' }]],
]);
const decoded = (push: PlannedPush) =>
  route([push], online).map((r) => ({
    topic: r.topic,
    key: r.key,
    record: JSON.parse(String(r.value)) as DeliveryRecord,
  }));

describe('route', () => {
  it('sends one record per gateway node, listing the online accounts it holds', () => {
    expect(decoded({ key: '9', frame, to: [1, 2, 3, 4, 5, 2] })).toEqual([
      { topic: 'push.gw1', key: '9', record: { accounts: [1, 2], frame } },
      { topic: 'push.gw2', key: '9', record: { accounts: [2, 5], frame } },
    ]);
  });

  it('skips offline accounts instead of stopping at them (docs/pitfalls.md §1)', () => {
    const out = decoded({ key: '9', frame, to: [3, 4, 5] });
    expect(out.map((o) => [o.topic, o.record.accounts])).toEqual([['push.gw2', [5]]]);
  });

  it('names the excluded connection and leaves out a node that holds only that one', () => {
    const out = decoded({ key: '9', frame, to: [1, 2], excludeConn: 'a1' });
    expect(out).toEqual([
      { topic: 'push.gw1', key: '9', record: { accounts: [2], frame, exclude_conn: 'a1' } },
      { topic: 'push.gw2', key: '9', record: { accounts: [2], frame, exclude_conn: 'a1' } },
    ]);
    expect(decoded({ key: '9', frame, to: [1], excludeConn: 'a1' })).toEqual([]);
  });

  it('carries a close request to every node of the accounts', () => {
    const close = { code: 4403, reason: 'account deleted' };
    const out = decoded({ key: 'account:2', frame, to: [2], close });
    expect(out.map((o) => [o.topic, o.record.close])).toEqual([
      ['push.gw1', close],
      ['push.gw2', close],
    ]);
  });
});

describe('route, for pushes planned from a bus record', () => {
  const source = (offset: string) => ({ topic: 'chat.stored', partition: 3, offset });

  it('names the source record and numbers its pushes in order, the same on every node', () => {
    const out = route(
      [
        { key: '9', frame, to: [1, 2], source: source('40') },
        { key: '9', frame, to: [5], source: source('40') },
        { key: '9', frame, to: [3], source: source('41') }, // offline: numbered all the same
        { key: '9', frame, to: [2], source: source('41') },
      ],
      online,
    ).map((r) => [r.topic, (JSON.parse(String(r.value)) as DeliveryRecord).source]);
    expect(out).toEqual([
      ['push.gw1', 'chat.stored/3/40/0'],
      ['push.gw2', 'chat.stored/3/40/0'],
      ['push.gw2', 'chat.stored/3/40/1'],
      ['push.gw1', 'chat.stored/3/41/1'],
      ['push.gw2', 'chat.stored/3/41/1'],
    ]);
  });

  it('names no source for a push planned from none (presence announcements)', () => {
    expect(decoded({ key: '9', frame, to: [1] })[0].record.source).toBeUndefined();
  });
});
