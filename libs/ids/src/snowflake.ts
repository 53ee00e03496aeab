/**
 * Message ids (docs/data-model.md §1): a 53-bit snowflake made in the application, so a message gets
 * its id without a database round trip and ordering by id is ordering by time.
 *
 *   41 bits (high)  milliseconds since 2024-01-01T00:00:00Z
 *    5 bits         node id, 0–31 (`App.MachineID`, unique per running generator)
 *    7 bits (low)   sequence within the millisecond, 0–127
 *
 * Everything here is plain Number arithmetic (multiply, divide, modulo by powers of two):
 * JavaScript's bitwise operators work on 32 bits and would truncate a 53-bit id.
 */

/** 2024-01-01T00:00:00Z in Unix milliseconds. */
export const SNOWFLAKE_EPOCH_MS = Date.UTC(2024, 0, 1);

const SEQUENCE_SIZE = 2 ** 7; // 128 ids per millisecond per node
const NODE_SIZE = 2 ** 5; // 32 nodes
/** One millisecond in id units: `(ms − epoch) << 12` of docs/data-model.md §1, without the shift. */
const TIME_UNIT = SEQUENCE_SIZE * NODE_SIZE; // 4096
/** The last millisecond offset that fits in 41 bits (around the year 2093). */
const MAX_TIME_OFFSET_MS = 2 ** 41 - 1;

export const MAX_NODE_ID = NODE_SIZE - 1;

export interface SnowflakeOptions {
  /** 0–31; two generators running at the same time must never share one. */
  nodeId: number;
  /** Unix milliseconds; injectable so tests can stop or rewind time. */
  clock?: () => number;
}

/**
 * Makes strictly increasing ids for one node. When the 128 ids of a millisecond are used
 * up it waits (spinning, under a millisecond) for the clock to move on; when the clock goes
 * backwards it keeps counting from the last millisecond it used, so an id is never
 * repeated and never smaller than the one before (docs/data-model.md §1).
 */
export class SnowflakeGenerator {
  readonly nodeId: number;
  private readonly clock: () => number;
  /** Millisecond offset from the epoch of the last id made; -1 before the first. */
  private lastOffsetMs = -1;
  private sequence = 0;

  constructor({ nodeId, clock = Date.now }: SnowflakeOptions) {
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > MAX_NODE_ID) {
      throw new RangeError(
        `snowflake node id must be an integer from 0 to ${MAX_NODE_ID} (App.MachineID), got ${String(nodeId)}`,
      );
    }
    this.nodeId = nodeId;
    this.clock = clock;
  }

  /** The creation time an id encodes (a message's `create_at`). */
  timeOf(id: number): Date {
    return snowflakeTime(id);
  }

  next(): number {
    let offsetMs = this.readOffset();
    if (offsetMs < this.lastOffsetMs) {
      // The clock went backwards: keep using the last millisecond instead of reusing an
      // earlier one, whose ids may already have been handed out.
      offsetMs = this.lastOffsetMs;
    }
    if (offsetMs === this.lastOffsetMs) {
      this.sequence += 1;
      if (this.sequence === SEQUENCE_SIZE) {
        offsetMs = this.nextMillisecond();
        this.sequence = 0;
      }
    } else {
      this.sequence = 0;
    }
    if (offsetMs > MAX_TIME_OFFSET_MS) {
      throw new RangeError('snowflake time overflow: the 41-bit millisecond field is used up');
    }
    this.lastOffsetMs = offsetMs;
    return offsetMs * TIME_UNIT + this.nodeId * SEQUENCE_SIZE + this.sequence;
  }

  /**
   * The sequence of the current millisecond is exhausted: wait for the clock to pass it.
   * If the clock is behind the last millisecond used (it went backwards), waiting could
   * take as long as the jump, so count on into the next millisecond instead.
   */
  private nextMillisecond(): number {
    for (;;) {
      const offsetMs = this.readOffset();
      if (offsetMs > this.lastOffsetMs) return offsetMs;
      if (offsetMs < this.lastOffsetMs) return this.lastOffsetMs + 1;
    }
  }

  private readOffset(): number {
    const offsetMs = Math.floor(this.clock()) - SNOWFLAKE_EPOCH_MS;
    if (offsetMs < 0) {
      throw new RangeError(
        `snowflake clock reads ${new Date(offsetMs + SNOWFLAKE_EPOCH_MS).toISOString()}, before the epoch 2024-01-01`,
      );
    }
    return offsetMs;
  }
}

/** The parts of an id, for tests and diagnostics. */
export function decodeSnowflake(id: number): { timeMs: number; nodeId: number; sequence: number } {
  return {
    timeMs: Math.floor(id / TIME_UNIT) + SNOWFLAKE_EPOCH_MS,
    nodeId: Math.floor(id / SEQUENCE_SIZE) % NODE_SIZE,
    sequence: id % SEQUENCE_SIZE,
  };
}

/** The time encoded in a message id, which is the message's `create_at` (docs/data-model.md §1). */
export function snowflakeTime(id: number): Date {
  return new Date(Math.floor(id / TIME_UNIT) + SNOWFLAKE_EPOCH_MS);
}

/**
 * The smallest id made at or after `ms` (Unix milliseconds), i.e. `(ms − epoch) << 12`:
 * `id < idBoundForTime(t)` holds exactly for messages created before `t`, which is how a
 * `last_time` bound becomes an index-friendly id bound (docs/data-model.md §1, §2.8). Times outside
 * the id range are clamped, so the bound stays meaningful: 0 before the epoch, 2^53 after
 * the last representable millisecond.
 */
export function idBoundForTime(ms: number): number {
  const offsetMs = Math.floor(ms) - SNOWFLAKE_EPOCH_MS;
  if (offsetMs <= 0) return 0;
  return Math.min(offsetMs, MAX_TIME_OFFSET_MS + 1) * TIME_UNIT;
}
