import {
  SNOWFLAKE_EPOCH_MS,
  SnowflakeGenerator,
  decodeSnowflake,
  idBoundForTime,
  snowflakeTime,
} from './snowflake';

/** A clock that returns the given readings in turn, then repeats the last one. */
function scriptedClock(readings: number[]): { clock: () => number; reads: () => number } {
  let i = 0;
  return {
    clock: () => readings[Math.min(i++, readings.length - 1)],
    reads: () => i,
  };
}

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0, 0);

describe('SnowflakeGenerator', () => {
  it('makes safe, strictly increasing integers over 100k ids on the real clock', () => {
    const gen = new SnowflakeGenerator({ nodeId: 31 });
    let previous = 0;
    for (let i = 0; i < 100_000; i++) {
      const id = gen.next();
      expect(Number.isSafeInteger(id)).toBe(true);
      if (id <= previous) throw new Error(`id ${id} after ${previous} at step ${i}`);
      previous = id;
    }
  });

  it('encodes the time since 2024-01-01, the node id and a sequence in the documented bits', () => {
    const gen = new SnowflakeGenerator({ nodeId: 5, clock: () => T0 });
    const first = gen.next();
    const second = gen.next();
    expect(first).toBe((T0 - SNOWFLAKE_EPOCH_MS) * 4096 + 5 * 128 + 0);
    expect(second).toBe(first + 1);
    expect(decodeSnowflake(second)).toEqual({ timeMs: T0, nodeId: 5, sequence: 1 });
  });

  it('gives different nodes disjoint ids within the same millisecond', () => {
    const a = new SnowflakeGenerator({ nodeId: 0, clock: () => T0 });
    const b = new SnowflakeGenerator({ nodeId: 1, clock: () => T0 });
    const idsA = new Set(Array.from({ length: 128 }, () => a.next()));
    const idsB = Array.from({ length: 128 }, () => b.next());
    expect(idsB.some((id) => idsA.has(id))).toBe(false);
  });

  it('waits for the next millisecond once 128 ids were made in one', () => {
    // The clock stays on T0 for 128 ids plus five polls while waiting, then moves on.
    const { clock, reads } = scriptedClock([...Array(128 + 5).fill(T0), T0 + 1]);
    const gen = new SnowflakeGenerator({ nodeId: 3, clock });
    const ids = Array.from({ length: 129 }, () => gen.next());
    expect(decodeSnowflake(ids[127])).toEqual({ timeMs: T0, nodeId: 3, sequence: 127 });
    expect(decodeSnowflake(ids[128])).toEqual({ timeMs: T0 + 1, nodeId: 3, sequence: 0 });
    expect(reads()).toBeGreaterThan(129); // it polled the clock while waiting
  });

  it('keeps counting from the last millisecond when the clock goes backwards', () => {
    const { clock } = scriptedClock([T0, T0 - 1000, T0 - 999, T0 + 1]);
    const gen = new SnowflakeGenerator({ nodeId: 7, clock });
    const ids = [gen.next(), gen.next(), gen.next(), gen.next()];
    expect(ids.map((id) => decodeSnowflake(id))).toEqual([
      { timeMs: T0, nodeId: 7, sequence: 0 },
      { timeMs: T0, nodeId: 7, sequence: 1 },
      { timeMs: T0, nodeId: 7, sequence: 2 },
      { timeMs: T0 + 1, nodeId: 7, sequence: 0 },
    ]);
  });

  it('moves on to the next millisecond without waiting when exhausted while the clock is behind', () => {
    // After the jump back the clock stays 10 s behind: waiting for it would block for 10 s.
    const { clock } = scriptedClock([T0, T0 - 10_000]);
    const gen = new SnowflakeGenerator({ nodeId: 0, clock });
    const ids = Array.from({ length: 300 }, () => gen.next());
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    expect(decodeSnowflake(ids[128])).toEqual({ timeMs: T0 + 1, nodeId: 0, sequence: 0 });
    expect(decodeSnowflake(ids[299]).timeMs).toBe(T0 + 2);
  });

  it('rejects node ids outside 0–31 with a message naming the setting', () => {
    for (const nodeId of [-1, 32, 1.5, Number.NaN]) {
      expect(() => new SnowflakeGenerator({ nodeId })).toThrow(
        /node id must be an integer from 0 to 31 \(App\.MachineID\)/,
      );
    }
    expect(new SnowflakeGenerator({ nodeId: 0 }).nodeId).toBe(0);
    expect(new SnowflakeGenerator({ nodeId: 31 }).nodeId).toBe(31);
  });

  it('refuses a clock set before the 2024 epoch instead of making negative ids', () => {
    const gen = new SnowflakeGenerator({ nodeId: 0, clock: () => Date.UTC(2023, 11, 31) });
    expect(() => gen.next()).toThrow(/before the epoch/);
  });

  it('reaches 2^53 − 1 exactly at the last millisecond, node 31, sequence 127', () => {
    const last = SNOWFLAKE_EPOCH_MS + 2 ** 41 - 1;
    const { clock } = scriptedClock([...Array(128).fill(last), last + 1]);
    const gen = new SnowflakeGenerator({ nodeId: 31, clock });
    let id = 0;
    for (let i = 0; i < 128; i++) id = gen.next();
    expect(id).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => gen.next()).toThrow(/overflow/);
  });
});

describe('snowflakeTime', () => {
  it('returns the millisecond encoded in an id', () => {
    const gen = new SnowflakeGenerator({ nodeId: 9, clock: () => T0 + 123 });
    gen.next();
    expect(snowflakeTime(gen.next()).toISOString()).toBe('2026-11-26T12:00:00.123Z');
    expect(snowflakeTime(1).getTime()).toBe(SNOWFLAKE_EPOCH_MS);
  });
});

describe('idBoundForTime', () => {
  it('is (ms − epoch) × 4096, the smallest id made at or after that millisecond', () => {
    const bound = idBoundForTime(T0);
    expect(bound).toBe((T0 - SNOWFLAKE_EPOCH_MS) * 4096);
    const before = new SnowflakeGenerator({ nodeId: 31, clock: () => T0 - 1 });
    const at = new SnowflakeGenerator({ nodeId: 0, clock: () => T0 });
    for (let i = 0; i < 127; i++) before.next();
    expect(before.next()).toBeLessThan(bound);
    expect(at.next()).toBe(bound);
  });

  it('clamps times outside the id range', () => {
    expect(idBoundForTime(0)).toBe(0);
    expect(idBoundForTime(SNOWFLAKE_EPOCH_MS)).toBe(0);
    expect(idBoundForTime(8.64e15)).toBe(2 ** 53);
  });
});
