import type { Logger } from '@chat/logger';
import {
  AppError,
  CLOSE_CODES,
  ERROR_MESSAGES,
  ErrorCode,
  InfrastructureError,
  InvalidInputError,
} from '@chat/protocol';
import {
  errorPushText,
  isClientEvent,
  parseFrame,
  replyText,
  validateData,
} from '../protocol/frames';
import type { GatewayMetrics } from '../ops/gateway-metrics';
import type { Connection } from '../sockets/connection';
import {
  CLOSE_TOO_MANY_CONNECTIONS,
  TooManyConnectionsError,
} from '../sockets/connection-admission';
import { Deferred } from './deferred';
import type { InFlight } from './in-flight';
import { RetryLaterError } from './retry-later';
import type { ReadMessageHandler } from './read-msg.handler';
import type { SendMessageHandler } from './send-msg.handler';
import type { Session } from './session';
import type { TypingHandler } from './typing.handler';
import type { PresenceWatch } from '../presence/presence-watch';

/**
 * Requests one connection may have waiting (queued or awaiting an ack); more are refused
 * with 1004, so a client cannot queue unbounded work even below the frame rate.
 */
export const MAX_PENDING_PER_CONNECTION = 100;

/**
 * Requests a client may simply send again when a service they need is unreachable: a
 * resent `send_msg` carries its `client_msg_id`, and `read_msg` only moves a cursor forward.
 */
const RESENDABLE_EVENTS = new Set(['send_msg', 'read_msg']);
/** What a sender refused during an outage is told to wait (`retry_after_ms`) before resending. */
export const UNAVAILABLE_RETRY_AFTER_MS = 1000;

export interface DispatcherDeps {
  session: Session;
  sendMessage: SendMessageHandler;
  readMessage: ReadMessageHandler;
  typing: TypingHandler;
  presence: Pick<PresenceWatch, 'subscribe' | 'unsubscribe' | 'setHidden'>;
  inFlight: InFlight;
  /** `Gateway.MaxFrameBytes`: a larger frame closes the socket with 1009. */
  maxFrameBytes: number;
  isStopping(): boolean;
  /** Times each `send_msg` from its frame's arrival to its reply. */
  metrics?: Pick<GatewayMetrics, 'sendAnswered'>;
  log: Logger;
}

/** Thrown when a request arrives after the connection's token expired (docs/protocol.md §2.2). */
class ConnectionExpired extends Error {}

const UNAVAILABLE_MESSAGE =
  'a service this request needs is unavailable; send it again after retry_after_ms';

/** A dependency (the bus, Redis, the database) failed in a way a retry may fix. */
function isOutage(err: unknown): boolean {
  return err instanceof InfrastructureError && err.retryable;
}

/**
 * Frames in, replies out (docs/protocol.md §1, §1.1): size and rate limits, envelope checks,
 * routing, the authentication gate and expiry, and one place where errors become reply
 * codes (docs/development.md §6). Nothing thrown here reaches uWS: a bad frame affects only its reply.
 */
export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  /**
   * One incoming frame (uWS `message`: the buffer is valid only during this call, so it is
   * read before anything is awaited). Never throws.
   */
  onFrame(conn: Connection, message: ArrayBuffer, isBinary: boolean): void {
    this.take(conn, message.byteLength, () =>
      isBinary ? null : Buffer.from(message).toString('utf8'),
    );
  }

  /**
   * One request that came as text rather than a WebSocket frame (a Socket.IO event, written
   * as the frame it stands for): the same limits, checks and replies as `onFrame`. Never throws.
   */
  onText(conn: Connection, text: string): void {
    this.take(conn, Buffer.byteLength(text), () => text);
  }

  private take(conn: Connection, byteLength: number, read: () => string | null): void {
    const receivedAt = performance.now();
    try {
      if (byteLength > this.deps.maxFrameBytes) {
        conn.close(CLOSE_CODES.frameTooLarge, 'frame too large');
        return;
      }
      const admitted = conn.admitFrame(Date.now());
      const frame = parseFrame(read());
      if (!frame.ok) {
        conn.send(
          errorPushText(ErrorCode.InvalidParams, `${ERROR_MESSAGES[1001]}: ${frame.reason}`),
        );
        return;
      }
      if (!admitted) {
        conn.send(replyText(frame.id, ErrorCode.TooManyRequests));
        return;
      }
      if (this.deps.isStopping()) {
        conn.send(replyText(frame.id, ErrorCode.ServerError, 'server is shutting down'));
        return;
      }
      if (conn.pending >= MAX_PENDING_PER_CONNECTION) {
        conn.send(replyText(frame.id, ErrorCode.TooManyRequests, 'too many requests in flight'));
        return;
      }
      conn.pending += 1;
      this.deps.inFlight.track(
        conn.enqueue(() => this.process(conn, frame.id, frame.event, frame.data, receivedAt)),
      );
    } catch (err) {
      this.deps.log.error({ err, connId: conn.connId }, 'frame handling failed');
    }
  }

  /**
   * Authenticates with the token given at upgrade (docs/protocol.md §2.1): on failure the client
   * gets an `error` push and close 4401. Queued first, so requests sent right after
   * connecting are taken once it is done.
   */
  authenticateAtUpgrade(conn: Connection, token: string): void {
    this.deps.inFlight.track(
      conn.enqueue(async () => {
        try {
          await this.deps.session.authenticate(conn, token);
        } catch (err) {
          const { code, message } = this.toReply(err, conn, 'auth');
          conn.send(errorPushText(code, message));
          if (err instanceof TooManyConnectionsError) {
            conn.close(CLOSE_TOO_MANY_CONNECTIONS, 'too many connections');
          } else if (code === ErrorCode.ServerError) {
            conn.close(CLOSE_CODES.authUnavailable, 'authentication unavailable');
          } else {
            conn.close(CLOSE_CODES.notAuthenticated, 'authentication failed');
          }
        }
      }),
    );
  }

  private async process(
    conn: Connection,
    id: number,
    event: string | null,
    data: unknown,
    receivedAt: number,
  ): Promise<void> {
    const metrics = this.deps.metrics;
    const answered =
      event === 'send_msg' && metrics
        ? (isOk: boolean) => metrics.sendAnswered((performance.now() - receivedAt) / 1000, isOk)
        : undefined;
    let answer: unknown;
    try {
      answer = await this.route(conn, event, data);
    } catch (err) {
      await this.settle(conn, id, event, Promise.reject(err), answered);
      return;
    }
    if (answer instanceof Deferred) {
      // The connection's next request may start; the reply waits for the ack.
      this.deps.inFlight.track(this.settle(conn, id, event, answer.result, answered));
    } else {
      await this.settle(conn, id, event, Promise.resolve(answer), answered);
    }
  }

  private async route(conn: Connection, event: string | null, data: unknown): Promise<unknown> {
    if (event === null) throw new InvalidInputError('event: must be a string');
    if (!isClientEvent(event)) {
      throw new InvalidInputError(`event: unknown event ${JSON.stringify(event.slice(0, 32))}`);
    }
    if (event !== 'auth' && conn.accountId !== null && Date.now() >= conn.expiresAt) {
      throw new ConnectionExpired();
    }
    if (conn.accountId === null && event !== 'auth' && event !== 'ping') {
      throw new AppError(
        ErrorCode.AuthMissing,
        'authenticate first: send auth with an account token',
      );
    }
    switch (event) {
      case 'ping': {
        const checked = validateData('ping', data);
        if (!checked.ok) throw new InvalidInputError(checked.detail);
        return { server_time: new Date().toISOString() };
      }
      case 'auth': {
        const checked = validateData('auth', data);
        if (!checked.ok) throw new InvalidInputError(checked.detail);
        return this.deps.session.authenticate(conn, checked.data.token);
      }
      case 'send_msg': {
        const checked = validateData('send_msg', data);
        if (!checked.ok) throw new InvalidInputError(checked.detail);
        return this.deps.sendMessage.handle(conn, conn.accountId as number, checked.data);
      }
      case 'read_msg': {
        const checked = validateData('read_msg', data);
        if (!checked.ok) throw new InvalidInputError(checked.detail);
        return this.deps.readMessage.handle(conn, conn.accountId as number, checked.data);
      }
      case 'typing': {
        const checked = validateData('typing', data);
        if (!checked.ok) throw new InvalidInputError(checked.detail);
        return this.deps.typing.handle(conn, conn.accountId as number, checked.data);
      }
      case 'presence_subscribe': {
        const checked = validateData('presence_subscribe', data);
        if (!checked.ok) throw new InvalidInputError(checked.detail);
        return this.deps.presence.subscribe(
          conn,
          conn.accountId as number,
          checked.data.account_ids,
        );
      }
      case 'presence_unsubscribe': {
        const checked = validateData('presence_unsubscribe', data);
        if (!checked.ok) throw new InvalidInputError(checked.detail);
        return this.deps.presence.unsubscribe(conn, checked.data.account_ids);
      }
      case 'presence_hidden': {
        const checked = validateData('presence_hidden', data);
        if (!checked.ok) throw new InvalidInputError(checked.detail);
        return this.deps.presence.setHidden(conn.accountId as number, checked.data.hidden);
      }
      default: {
        const unhandled: never = event;
        throw new InvalidInputError(`event: unknown event ${String(unhandled)}`);
      }
    }
  }

  /** Sends the one reply of a request (docs/protocol.md §1) once its answer settles. */
  private async settle(
    conn: Connection,
    id: number,
    event: string | null,
    answer: Promise<unknown>,
    answered?: (isOk: boolean) => void,
  ): Promise<void> {
    try {
      const data = await answer;
      conn.send(replyText(id, ErrorCode.Success, undefined, data));
      answered?.(true);
    } catch (err) {
      answered?.(false);
      if (err instanceof ConnectionExpired) {
        conn.send(errorPushText(ErrorCode.TokenExpired));
        conn.close(CLOSE_CODES.notAuthenticated, 'token expired');
        return;
      }
      if (isOutage(err) && event !== null && RESENDABLE_EVENTS.has(event)) {
        // Not taken, and safe to send again: say so, rather than 1003 (docs/errors.md, 1004).
        const requestId = `${conn.connId}/${String(id)}`;
        this.deps.log.warn({ err, connId: conn.connId, requestId }, 'request refused: outage');
        conn.send(
          replyText(id, ErrorCode.TooManyRequests, UNAVAILABLE_MESSAGE, {
            retry_after_ms: UNAVAILABLE_RETRY_AFTER_MS,
          }),
        );
        return;
      }
      const { code, message } = this.toReply(err, conn, id);
      const data =
        err instanceof RetryLaterError ? { retry_after_ms: err.retryAfterMs } : undefined;
      conn.send(replyText(id, code, message, data));
      // The account holds its most sockets: this one is told why, then closed.
      if (err instanceof TooManyConnectionsError) {
        conn.close(CLOSE_TOO_MANY_CONNECTIONS, 'too many connections');
      }
    } finally {
      conn.pending -= 1;
    }
  }

  /**
   * AppError → its code and text; infrastructure and unknown errors → 1003 with a reference
   * (connection and frame id) that names the log line holding the detail.
   */
  private toReply(
    err: unknown,
    conn: Connection,
    frameId: unknown,
  ): { code: ErrorCode; message: string } {
    if (
      err instanceof AppError &&
      !(err instanceof InfrastructureError) &&
      err.code !== ErrorCode.ServerError
    ) {
      return { code: err.code, message: err.message };
    }
    const requestId = `${conn.connId}/${String(frameId)}`;
    this.deps.log.error({ err, connId: conn.connId, requestId }, 'request failed');
    return {
      code: ErrorCode.ServerError,
      message: `${ERROR_MESSAGES[ErrorCode.ServerError]} (request ${requestId})`,
    };
  }
}
