import { Transform } from 'node:stream';

/** Raised by `sizeGuard` when a body is longer or shorter than declared. */
export class SizeMismatchError extends RangeError {
  constructor(
    readonly declared: number,
    /** Bytes seen when the mismatch was found (for a long body: the first count past it). */
    readonly seen: number,
  ) {
    super(
      `body of ${seen > declared ? 'more than ' + declared : seen} bytes, ${declared} declared`,
    );
    this.name = 'SizeMismatchError';
  }
}

/**
 * Passes a body through while counting it, and fails the stream as soon as it runs past
 * `size` bytes or ends short of it, so a wrong body is never stored whole (and a request
 * that announced `size` as its Content-Length is aborted rather than left waiting).
 */
export function sizeGuard(size: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > size) done(new SizeMismatchError(size, seen));
      else done(null, chunk);
    },
    flush(done) {
      done(seen === size ? null : new SizeMismatchError(size, seen));
    },
  });
}
