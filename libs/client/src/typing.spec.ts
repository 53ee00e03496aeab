import { TypingIndicators } from './typing';

describe('TypingIndicators (docs/protocol.md §3.4)', () => {
  let now = 0;
  const indicators = () => new TypingIndicators(6000, () => now);

  beforeEach(() => {
    now = 1_000_000;
  });

  it('shows a member from a start until its stop', () => {
    const t = indicators();
    t.apply({ relation_id: 1, account_id: 7, state: true });
    t.apply({ relation_id: 1, account_id: 3, state: true });
    expect(t.typing(1)).toEqual([3, 7]);
    expect(t.typing(2)).toEqual([]);
    t.apply({ relation_id: 1, account_id: 7, state: false });
    expect(t.typing(1)).toEqual([3]);
  });

  it('expires a start that is not refreshed, and a refresh extends it', () => {
    const t = indicators();
    t.apply({ relation_id: 1, account_id: 7, state: true });
    expect(t.nextExpiry()).toBe(now + 6000);
    now += 3000;
    t.apply({ relation_id: 1, account_id: 7, state: true });
    now += 5999;
    expect(t.typing(1)).toEqual([7]);
    now += 1;
    expect(t.typing(1)).toEqual([]);
    expect(t.nextExpiry()).toBeUndefined();
  });
});
