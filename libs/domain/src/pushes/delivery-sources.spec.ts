import { DeliverySources } from './delivery-sources';

const from = (offset: string, push = 0, partition = 0) =>
  `chat.stored/${partition}/${offset}/${push}`;

describe('DeliverySources', () => {
  it('lets through what moves forward and drops what repeats or goes back', () => {
    const sources = new DeliverySources();
    const seen = [
      from('10'),
      from('10', 1),
      from('11'),
      // A notifier died after publishing 10..11 and another planned them again.
      from('10'),
      from('10', 1),
      from('11'),
      from('12'),
    ].map((s) => sources.advance(0, s));
    expect(seen).toEqual([true, true, true, false, false, false, true]);
  });

  it('keeps one position per source partition and per delivery partition', () => {
    const sources = new DeliverySources();
    expect(sources.advance(0, from('50'))).toBe(true);
    // Another source partition, and another delivery partition, start on their own.
    expect(sources.advance(0, from('7', 0, 1))).toBe(true);
    expect(sources.advance(1, from('9'))).toBe(true);
    // A publish that reached delivery partition 0 but failed on 1: the retry fills 1 only.
    expect(sources.advance(1, from('50'))).toBe(true);
    expect(sources.advance(0, from('50'))).toBe(false);
  });

  it('compares offsets as 64-bit integers, not as text', () => {
    const sources = new DeliverySources();
    expect(sources.advance(0, from('9'))).toBe(true);
    expect(sources.advance(0, from('10'))).toBe(true);
    expect(sources.advance(0, from('9007199254740993'))).toBe(true);
    expect(sources.advance(0, from('9007199254740992'))).toBe(false);
  });
});
