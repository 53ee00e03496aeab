import { Connection } from './connection';

/** What an idle connection must not hold (issue 10); read through a cast, tests only. */
const idleState = (conn: Connection) => {
  const inner = conn as unknown as { tail?: unknown; rate?: unknown };
  return { tail: inner.tail, rate: inner.rate };
};

describe('Connection', () => {
  const limits = { framesPerSecond: 2, maxBufferedBytes: 1024 };

  it('runs queued tasks one after the other, past a failing one, then holds no queue', async () => {
    const conn = new Connection('gw1.test.1', '127.0.0.1', limits, 0);
    const log: string[] = [];
    let release!: () => void;
    const first = conn.enqueue(
      () => new Promise<void>((resolve) => (release = () => (log.push('first'), resolve()))),
    );
    const second = conn.enqueue(async () => {
      log.push('second');
      throw new Error('second failed');
    });
    const third = conn.enqueue(async () => void log.push('third'));
    await Promise.resolve();
    expect(log).toEqual([]);
    expect(idleState(conn).tail).toBeDefined();
    release();
    await first;
    await expect(second).rejects.toThrow('second failed');
    await third;
    expect(log).toEqual(['first', 'second', 'third']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(idleState(conn).tail).toBeUndefined();
    await conn.enqueue(async () => void log.push('fourth'));
    expect(log.at(-1)).toBe('fourth');
  });

  it('limits frames per second, and forgets the bucket once it is full again', () => {
    const conn = new Connection('gw1.test.2', '127.0.0.1', limits, 0);
    expect(idleState(conn).rate).toBeUndefined();
    expect([conn.admitFrame(1000), conn.admitFrame(1000), conn.admitFrame(1000)]).toEqual([
      true,
      true,
      false,
    ]);
    conn.forgetIdleState(1499);
    expect(idleState(conn).rate).toBeDefined();
    expect(conn.admitFrame(1500)).toBe(true);
    expect(conn.admitFrame(1500)).toBe(false);
    conn.forgetIdleState(2500);
    expect(idleState(conn).rate).toBeUndefined();
    expect([conn.admitFrame(2500), conn.admitFrame(2500), conn.admitFrame(2500)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('keeps no bucket when the limit is off', () => {
    const conn = new Connection('gw1.test.3', '127.0.0.1', { ...limits, framesPerSecond: 0 }, 0);
    expect(Array.from({ length: 10 }, () => conn.admitFrame(0)).every(Boolean)).toBe(true);
    expect(idleState(conn).rate).toBeUndefined();
  });

  it('is not open and ignores writes until attached', () => {
    const conn = new Connection('gw1.test.4', '127.0.0.1', limits, 0);
    expect(conn.isOpen).toBe(false);
    expect(conn.send('{}')).toBe(false);
    expect(() => conn.close(1000, 'bye')).not.toThrow();
  });
});
