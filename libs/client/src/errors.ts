/**
 * Why a call failed: `reply` — the server answered a non-zero `status_code` (docs/api.md §2);
 * `timeout` — no reply within the request timeout; `disconnected` — the connection ended before
 * the reply; `closed` — the client was closed with `close()`; `http` — the HTTP exchange itself
 * failed (network error, a body that is not the envelope).
 */
export type ChatErrorReason = 'reply' | 'timeout' | 'disconnected' | 'closed' | 'http';

/**
 * A failed REST call or WebSocket request. `code` is the server's `status_code` for a reply;
 * for failures on the client side it is the code that describes them best: 1005 (deadline)
 * for a timeout, 1003 otherwise.
 */
export class ChatError extends Error {
  override readonly name = 'ChatError';

  constructor(
    readonly code: number,
    message: string,
    readonly reason: ChatErrorReason = 'reply',
    /** From `data.retry_after_ms` of a 1004 reply (docs/protocol.md §3.2). */
    readonly retryAfterMs?: number,
    /** The error reply's `data`, if it had one (7004: `{ muted_until }`). */
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** Client-side codes, from the server's table (docs/api.md §2). */
export const CLIENT_SIDE_CODES = { serverError: 1003, timeout: 1005 } as const;
