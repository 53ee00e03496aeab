import { ExpiryQueue, type Expiring } from './expiry-queue';

interface Item extends Expiring {
  name: string;
}

const item = (name: string, expiresAt: number): Item => ({ name, expiresAt, expirySlot: -1 });

describe('ExpiryQueue', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  function queue() {
    const expired: string[] = [];
    const q = new ExpiryQueue<Item>((i) => expired.push(i.name));
    return { q, expired };
  }

  it('expires each item at its own expiry, whatever the order they came in', () => {
    const { q, expired } = queue();
    q.schedule(item('late', 3000));
    q.schedule(item('early', 1000));
    q.schedule(item('middle', 2000));
    jest.advanceTimersByTime(999);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['early']);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual(['early', 'middle']);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual(['early', 'middle', 'late']);
    expect(q.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps one timer however many items wait', () => {
    const { q } = queue();
    for (let i = 0; i < 100; i++) q.schedule(item(`i${i}`, 1000 + ((i * 7919) % 500)));
    expect(jest.getTimerCount()).toBe(1);
  });

  it('never expires a removed item, and stops the timer when nothing is left', () => {
    const { q, expired } = queue();
    const a = item('a', 1000);
    const b = item('b', 2000);
    q.schedule(a);
    q.schedule(b);
    q.remove(a);
    expect(a.expirySlot).toBe(-1);
    jest.advanceTimersByTime(1500);
    expect(expired).toEqual([]);
    q.remove(b);
    expect(jest.getTimerCount()).toBe(0);
    q.remove(b); // twice is harmless
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual([]);
  });

  it('moves an item whose expiry was extended (token refresh)', () => {
    const { q, expired } = queue();
    const a = item('a', 1000);
    q.schedule(a);
    q.schedule(item('b', 2000));
    a.expiresAt = 5000;
    q.schedule(a);
    jest.advanceTimersByTime(2000);
    expect(expired).toEqual(['b']);
    jest.advanceTimersByTime(3000);
    expect(expired).toEqual(['b', 'a']);
  });

  it('expires at once an item whose expiry already passed', () => {
    const { q, expired } = queue();
    q.schedule(item('past', -5));
    jest.advanceTimersByTime(0);
    expect(expired).toEqual(['past']);
  });

  it('waits in steps past the longest timer delay', () => {
    const { q, expired } = queue();
    const far = 2 ** 31 + 10_000;
    q.schedule(item('far', far));
    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(10_001);
    expect(expired).toEqual(['far']);
  });

  it('lets the expire callback remove the item it is given (a socket closing)', () => {
    const expired: string[] = [];
    const q: ExpiryQueue<Item> = new ExpiryQueue<Item>((i) => {
      expired.push(i.name);
      q.remove(i);
    });
    q.schedule(item('a', 10));
    q.schedule(item('b', 10));
    q.schedule(item('c', 20));
    jest.advanceTimersByTime(20);
    expect(expired.sort()).toEqual(['a', 'b', 'c']);
    expect(q.size).toBe(0);
  });

  it('forgets everything on clear', () => {
    const { q, expired } = queue();
    const a = item('a', 10);
    q.schedule(a);
    q.clear();
    expect(a.expirySlot).toBe(-1);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(100);
    expect(expired).toEqual([]);
  });

  it('keeps expiries in order through many random schedules, moves and removals', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const expired: Item[] = [];
    const q = new ExpiryQueue<Item>((i) => expired.push(i));
    const items = Array.from({ length: 500 }, (_, i) => item(`i${i}`, 1 + random() * 10_000));
    for (const i of items) q.schedule(i);
    const removed = new Set<Item>();
    for (let n = 0; n < 300; n++) {
      const i = items[Math.floor(random() * items.length)];
      if (random() < 0.3) {
        q.remove(i);
        removed.add(i);
      } else if (!removed.has(i)) {
        i.expiresAt = 1 + random() * 10_000;
        q.schedule(i);
      }
    }
    jest.advanceTimersByTime(10_001);
    const times = expired.map((i) => i.expiresAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(expired)).toEqual(new Set(items.filter((i) => !removed.has(i))));
  });
});
