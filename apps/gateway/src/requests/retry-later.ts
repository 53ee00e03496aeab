import { AppError, type ErrorCode } from '@chat/protocol';

/**
 * A request refused for now, with a hint of when the same request can pass: its reply
 * carries `data.retry_after_ms` (docs/errors.md, 1004).
 */
export class RetryLaterError extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(code, message, { retryable: true });
  }
}

/**
 * Builds an error without capturing a stack trace: refusals are what a gateway under abuse
 * or overload does most, and their stack says nothing.
 */
export function withoutStack<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
