import { CLOSE_CODES, ERROR_MESSAGES, ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import type { Wire } from './connection';

/** The answer to a Socket.IO acknowledgement: the reply frame without its `id`. */
export interface AckBody {
  status_code: number;
  status_msg: string;
  data?: unknown;
}

/**
 * The `error` event that precedes a Socket.IO disconnect by the server (docs/protocol.md §7):
 * the `error` push the plain protocol sends before that close, if it sends one, with the
 * close code and reason a plain WebSocket client would have seen.
 */
export interface CloseErrorBody {
  status_code: number;
  status_msg: string;
  close_code: number;
  close_reason: string;
}

/** The part of a Socket.IO server socket the wire uses (a test gives its own). */
export interface SocketIoSocket {
  emit(event: string, ...args: unknown[]): unknown;
  disconnect(close?: boolean): unknown;
}

/** What a close says in the `error` event when no `error` push came before it. */
const CLOSE_STATUS: Record<number, ErrorCode> = {
  [CLOSE_CODES.notAuthenticated]: ErrorCode.AuthMissing,
  [CLOSE_CODES.accountGone]: ErrorCode.AccountNotFound,
  [CLOSE_CODES.sendBufferFull]: ErrorCode.TooManyRequests,
  [CLOSE_CODES.tooManyConnections]: ErrorCode.TooManyRequests,
  [CLOSE_CODES.frameTooLarge]: ErrorCode.InvalidParams,
  [CLOSE_CODES.authUnavailable]: ErrorCode.ServerError,
  [CLOSE_CODES.goingAway]: ErrorCode.ServerError,
};

/** `send` results of uWebSockets.js: written, or dropped past its backpressure bound. */
const SENT = 1;
const DROPPED = 2;

/**
 * A Socket.IO socket as a `Wire`: the gateway's connection code writes the frames of
 * docs/protocol.md (replies and pushes, as JSON text) and this turns them into Socket.IO:
 * a reply answers the acknowledgement of the request it replies to, a push is emitted as an
 * event of its name with its `data`, and a close becomes an `error` event, then a
 * disconnect. Requests come in through `request`, which numbers them as frame ids.
 *
 * The `error` push the gateway writes just before closing (token expired, session ended,
 * account deleted, failed authentication at connect) and the close itself happen in one
 * turn; an `error` push is therefore held until the end of the turn, and a close in that
 * turn sends it with `close_code` and `close_reason` added: one `error` event per close.
 */
export class SocketIoWire implements Wire {
  /** Acknowledgements waiting for their reply, by the frame id given to their request. */
  private readonly acks = new Map<number, (body: AckBody) => void>();
  private nextId = 0;
  /** An `error` push not emitted yet: a close in this turn adds its code to it. */
  private heldError?: { status_code: number; status_msg: string };
  private ended = false;

  constructor(
    private readonly socket: SocketIoSocket,
    /** Bytes written but not yet sent (the WebSocket transport's buffer); 0 when unknown. */
    private readonly buffered: () => number = () => 0,
  ) {}

  /**
   * The request frame text of Socket.IO event `event` with argument `data`: what the client
   * would have sent over `/ws`. `ack`, if the client asked for one, gets the reply.
   */
  request(event: unknown, data: unknown, ack?: (body: AckBody) => void): string {
    this.nextId = this.nextId >= Number.MAX_SAFE_INTEGER ? 1 : this.nextId + 1;
    const id = this.nextId;
    if (ack) this.acks.set(id, ack);
    return JSON.stringify({ id, event, data });
  }

  cork(run: () => void): void {
    run();
  }

  send(text: string): number {
    if (this.ended) return DROPPED;
    const frame = JSON.parse(text) as {
      id?: number;
      event?: string;
      data?: unknown;
    } & Partial<AckBody>;
    if (typeof frame.id === 'number') {
      this.releaseError();
      const ack = this.acks.get(frame.id);
      if (ack) {
        this.acks.delete(frame.id);
        const body: AckBody = { status_code: frame.status_code!, status_msg: frame.status_msg! };
        if (frame.data !== undefined) body.data = frame.data;
        ack(body);
      }
      return SENT;
    }
    const event = frame.event ?? '';
    if (event === PUSH_EVENTS.error) {
      this.releaseError();
      this.heldError = frame.data as { status_code: number; status_msg: string };
      queueMicrotask(() => this.releaseError());
      return SENT;
    }
    this.releaseError();
    this.socket.emit(event, frame.data);
    return SENT;
  }

  getBufferedAmount(): number {
    return this.ended ? 0 : this.buffered();
  }

  /** Engine.IO pings every Socket.IO connection itself (`pingInterval`). */
  ping(): void {}

  end(code: number, reason: string): void {
    if (this.ended) return;
    const held = this.heldError;
    this.heldError = undefined;
    const status = CLOSE_STATUS[code] ?? ErrorCode.ServerError;
    const body: CloseErrorBody = {
      status_code: held?.status_code ?? status,
      status_msg: held?.status_msg ?? (reason || ERROR_MESSAGES[status]),
      close_code: code,
      close_reason: reason,
    };
    this.ended = true;
    this.acks.clear();
    this.socket.emit(PUSH_EVENTS.error, body);
    // Disconnects the client (its `disconnect` reason: "io server disconnect", after which it
    // does not reconnect by itself); the gateway's close handler runs before this returns.
    this.socket.disconnect(true);
  }

  /** Emits the held `error` push as it is (no close came in its turn). */
  private releaseError(): void {
    const held = this.heldError;
    if (held === undefined || this.ended) return;
    this.heldError = undefined;
    this.socket.emit(PUSH_EVENTS.error, held);
  }
}
