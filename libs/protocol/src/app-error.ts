import { ERROR_MESSAGES, ErrorCode } from './error-codes';

/**
 * The one error type domain code throws (docs/development.md §6). It knows nothing of HTTP or sockets:
 * each edge (api middleware, gateway reply) maps it once to the envelope with `code`.
 */
export class AppError extends Error {
  /** Workers retry only retryable errors (timeouts, connection resets). */
  readonly retryable: boolean;
  /** The reply's `data`, for the few codes that carry some (7004: `muted_until`). */
  readonly data: Record<string, unknown> | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_MESSAGES[code],
    options: { cause?: unknown; retryable?: boolean; data?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.retryable = options.retryable ?? false;
    this.data = options.data;
  }

  static is(err: unknown, code?: ErrorCode): err is AppError {
    return err instanceof AppError && (code === undefined || err.code === code);
  }
}

/** 1001 with a detail naming the field, e.g. `email: invalid email address`. */
export class InvalidInputError extends AppError {
  constructor(detail: string) {
    super(ErrorCode.InvalidParams, `${ERROR_MESSAGES[ErrorCode.InvalidParams]}: ${detail}`);
    this.name = 'InvalidInputError';
  }
}

export class PermissionDeniedError extends AppError {
  constructor(message?: string) {
    super(ErrorCode.PermissionDenied, message);
    this.name = 'PermissionDeniedError';
  }
}

/** A dependency failed in a way a retry may fix (1003 at the edge). */
export class InfrastructureError extends AppError {
  constructor(message: string, cause?: unknown, retryable = true) {
    super(ErrorCode.ServerError, message, { cause, retryable });
    this.name = 'InfrastructureError';
  }
}
