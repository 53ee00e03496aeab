import { FrameRate } from './frame-rate';

describe('FrameRate', () => {
  it('admits a burst of the limit, then refuses until time passes', () => {
    const rate = new FrameRate(5, 0);
    const burst = Array.from({ length: 7 }, () => rate.admit(0));
    expect(burst).toEqual([true, true, true, true, true, false, false]);
    expect(rate.admit(199)).toBe(false);
    expect(rate.admit(200)).toBe(true);
    expect(rate.admit(200)).toBe(false);
  });

  it('never holds more than one second of frames however long the connection idles', () => {
    const rate = new FrameRate(3, 0);
    const later = Array.from({ length: 4 }, () => rate.admit(60_000));
    expect(later).toEqual([true, true, true, false]);
  });

  it('refuses a sustained rate above the limit across clock-second boundaries', () => {
    const rate = new FrameRate(10, 0);
    let admitted = 0;
    // 20 frames per second for 3 seconds, starting mid-second.
    for (let t = 500; t < 3500; t += 50) if (rate.admit(t)) admitted++;
    expect(admitted).toBeLessThanOrEqual(10 + 30);
    expect(admitted).toBeGreaterThanOrEqual(30);
  });

  it('admits everything when the limit is 0', () => {
    const rate = new FrameRate(0, 0);
    expect(Array.from({ length: 1000 }, () => rate.admit(0)).every(Boolean)).toBe(true);
  });

  it('is full again once a second of frames has been refilled, as a new bucket is', () => {
    const rate = new FrameRate(4, 0);
    expect(rate.isFull(0)).toBe(true);
    rate.admit(0);
    rate.admit(0);
    expect(rate.isFull(0)).toBe(false);
    expect(rate.isFull(499)).toBe(false);
    expect(rate.isFull(500)).toBe(true);
  });
});
