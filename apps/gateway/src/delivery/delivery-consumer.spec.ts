import type { BusRecord } from '@chat/bus';
import { createLogger } from '@chat/logger';
import type { DeliveryRecord } from '@chat/protocol';
import { Connection } from '../sockets/connection';
import { LocalSockets } from '../sockets/local-sockets';
import { DeliveryConsumer } from './delivery-consumer';

const log = createLogger({ name: 'test', level: 'silent' });

/** A connection of `accountId` whose writes are collected. */
function online(sockets: LocalSockets, accountId: number): string[] {
  const conn = new Connection(
    `gw1.test.${accountId}`,
    '127.0.0.1',
    { framesPerSecond: 0, maxBufferedBytes: 1 << 20 },
    0,
  );
  const written: string[] = [];
  conn.send = (text: string) => (written.push(text), true);
  sockets.add(conn);
  conn.accountId = accountId;
  sockets.bind(conn, accountId);
  return written;
}

function record(partition: number, offset: number, delivery: DeliveryRecord): BusRecord {
  return {
    topic: 'push.gw1',
    partition,
    offset: String(offset),
    key: String(delivery.accounts[0]),
    value: Buffer.from(JSON.stringify(delivery)),
    headers: {},
    timestamp: Date.now(),
  };
}

const push = (n: number): DeliveryRecord => ({
  accounts: [7],
  frame: { event: 'send_msg', data: { n } },
});

describe('DeliveryConsumer', () => {
  it('writes each push once when a batch is delivered again', async () => {
    const sockets = new LocalSockets();
    const written = online(sockets, 7);
    const consumer = new DeliveryConsumer(sockets, 0, log);
    const batch = [record(0, 10, push(1)), record(0, 11, push(2))];

    await consumer.handle(batch);
    // The commit failed (broker gone): the same records come back, with one more behind them.
    await consumer.handle([...batch, record(0, 12, push(3))]);
    // Another partition keeps its own position.
    await consumer.handle([record(1, 10, push(4))]);

    expect(written.map((t) => (JSON.parse(t) as { data: { n: number } }).data.n)).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('writes a push planned again from the same source record to nobody twice', async () => {
    const sockets = new LocalSockets();
    const written = online(sockets, 7);
    const consumer = new DeliveryConsumer(sockets, 0, log);
    const from = (offset: string, n: number): DeliveryRecord => ({
      ...push(n),
      source: `chat.stored/2/${offset}/0`,
    });
    await consumer.handle([record(0, 10, from('500', 1)), record(0, 11, from('501', 2))]);
    // The notifier died before committing: another one published the same pushes again,
    // at new offsets, then the next one. A presence announcement (no source) is in between.
    await consumer.handle([
      record(0, 12, from('500', 1)),
      record(0, 13, push(0)),
      record(0, 14, from('501', 2)),
      record(0, 15, from('502', 3)),
    ]);
    expect(written.map((t) => (JSON.parse(t) as { data: { n: number } }).data.n)).toEqual([
      1, 2, 0, 3,
    ]);
  });
});
