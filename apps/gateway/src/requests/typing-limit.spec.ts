import { TypingLimit } from './typing-limit';

describe('TypingLimit (docs/protocol.md §3.4)', () => {
  it('forwards one start per interval per conversation', () => {
    const limit = new TypingLimit(1000);
    expect(limit.admit(1, true, 0)).toBe(true);
    expect(limit.admit(1, true, 400)).toBe(false);
    expect(limit.admit(1, true, 999)).toBe(false);
    expect(limit.admit(1, true, 1000)).toBe(true);
    // Another conversation has its own allowance.
    expect(limit.admit(2, true, 1001)).toBe(true);
  });

  it('forwards a stop right after a start, but not a second stop within the interval', () => {
    const limit = new TypingLimit(1000);
    expect(limit.admit(1, true, 0)).toBe(true);
    expect(limit.admit(1, false, 100)).toBe(true);
    expect(limit.admit(1, false, 200)).toBe(false);
    // Start and stop alternating: at most a start and a stop per interval.
    expect(limit.admit(1, true, 300)).toBe(false);
    expect(limit.admit(1, true, 1100)).toBe(true);
    expect(limit.admit(1, false, 1101)).toBe(true);
  });

  it('forwards a first stop of a conversation it has no record of', () => {
    expect(new TypingLimit(1000).admit(5, false, 0)).toBe(true);
  });

  it('keeps a bounded memory however many conversations a connection types in', () => {
    const limit = new TypingLimit(1000);
    for (let r = 1; r <= 1000; r += 1) limit.admit(r, true, r);
    expect(limit.size).toBeLessThanOrEqual(65);
    // The newest ones are still limited.
    expect(limit.admit(1000, true, 1001)).toBe(false);
  });
});
