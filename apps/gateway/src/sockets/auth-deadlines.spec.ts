import { AuthDeadlines } from './auth-deadlines';

describe('AuthDeadlines', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('expires each item once its own timeout passed, in the order they were added', () => {
    const expired: string[] = [];
    const deadlines = new AuthDeadlines<string>(1000, (item) => expired.push(item));
    deadlines.add('a');
    jest.advanceTimersByTime(300);
    deadlines.add('b');
    jest.advanceTimersByTime(699);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    jest.advanceTimersByTime(299);
    expect(expired).toEqual(['a']);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a', 'b']);
    expect(deadlines.size).toBe(0);
  });

  it('keeps no timer while nothing waits, and starts again on the next add', () => {
    const expired: number[] = [];
    const deadlines = new AuthDeadlines<number>(50, (item) => expired.push(item));
    deadlines.add(1);
    jest.advanceTimersByTime(50);
    expect(jest.getTimerCount()).toBe(0);
    deadlines.add(2);
    deadlines.add(3);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(50);
    expect(expired).toEqual([1, 2, 3]);
  });

  it('stays bounded under a steady stream of items', () => {
    let expired = 0;
    const deadlines = new AuthDeadlines<number>(100, () => (expired += 1));
    for (let i = 0; i < 10_000; i++) {
      deadlines.add(i);
      jest.advanceTimersByTime(1);
    }
    expect(deadlines.size).toBeLessThanOrEqual(100);
    jest.advanceTimersByTime(100);
    expect(expired).toBe(10_000);
  });

  it('forgets everything on clear', () => {
    const expired: number[] = [];
    const deadlines = new AuthDeadlines<number>(10, (item) => expired.push(item));
    deadlines.add(1);
    deadlines.clear();
    jest.advanceTimersByTime(100);
    expect(expired).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
