import type { TypingLimit } from '../requests/typing-limit';
import { CLOSE_CODES, type AppError } from '@chat/protocol';
import { FrameRate } from './frame-rate';

/**
 * Close code for a client that stopped reading: its send buffer passed
 * `Gateway.MaxBufferedBytes` (docs/protocol.md §2.4): 4408 sits next to the other 44xx codes.
 * The close frame itself may not get through to a client that does
 * not read, which then sees the connection drop (1006).
 */
export const CLOSE_SEND_BUFFER_FULL = CLOSE_CODES.sendBufferFull;

/** uWS keeps this object with the socket; `getUserData().conn` leads back to our state. */
export interface SocketData {
  conn: Connection;
  /**
   * What the upgrade request carried: a token to check, or why its credentials failed.
   * Cleared once the socket opened, so the token is not kept for the socket's lifetime.
   */
  upgrade?: { token: string } | { error: AppError };
}

/**
 * What a connection writes to: the part of a uWebSockets.js `WebSocket` the gateway uses. A
 * plain `/ws` socket is one itself (no wrapper, nothing more per socket); a Socket.IO socket
 * is one through `SocketIoWire`, which turns replies into acks and frames into events.
 */
export interface Wire {
  cork(run: () => void): unknown;
  /** Writes a text frame; 2 when it was dropped (uWS's own backpressure bound). */
  send(text: string, isBinary: boolean, compress: boolean): number;
  /** Bytes written but not yet sent to the client. */
  getBufferedAmount(): number;
  ping(): unknown;
  /** Closes with `code`; the close handler runs before this returns. */
  end(code: number, reason: string): void;
}

/** Shared by every connection of a server: one object, not one per socket. */
export interface ConnectionLimits {
  framesPerSecond: number;
  maxBufferedBytes: number;
}

/**
 * One client socket and what the gateway knows of it. Every write goes through `send`,
 * which enforces the send-buffer bound: a client that stops reading is closed, so it can
 * never grow this process's memory beyond `maxBufferedBytes` (plus one frame).
 *
 * Most sockets sit idle most of the time, and each costs memory for as long as it is open
 * (issue 10: at most 4 KB per idle authenticated socket). So an idle connection holds only
 * what identifies it: the frame-rate bucket exists only while it has something to remember
 * (see `admitFrame` and `forgetIdleState`), the request queue only while requests are
 * queued, the limits and the `onSent` callback are shared, the auth deadline and the token
 * expiry are kept by the server in one queue each (no timer per socket), and nothing is
 * stored twice.
 */
export class Connection {
  /** Authenticated account; null until the first successful auth (docs/protocol.md §2.1). */
  accountId: number | null = null;
  /**
   * Expiry of the token that authenticated (or last refreshed) this connection, epoch ms.
   * Changed only through `SessionEnds.track`, whose queue closes the socket at that time.
   */
  expiresAt = 0;
  /** Token epoch of that token: a revocation of a later epoch closes the socket. */
  tokenEpoch = 0;
  /** Position in the expiry queue, −1 when not in it (owned by `ExpiryQueue`). */
  expirySlot = -1;
  /** Requests accepted but not answered yet (queued, or waiting for a produce ack). */
  pending = 0;
  /**
   * What this connection holds in the connection limits (`ConnectionAdmission`): a place
   * under its client address, and the account whose place it holds (0: none).
   */
  countedAddress = false;
  countedAccount = 0;
  /** Forwarded `typing` frames per conversation (docs/protocol.md §3.4); made at the first one. */
  typing?: TypingLimit = undefined;
  /**
   * Presence subscriptions (docs/protocol.md §3.5): account id → the state last pushed to
   * this connection (`PresenceWatch`); made at the first subscription.
   */
  presence?: Map<number, string> = undefined;
  /** Set from uWS `open` until its `close`; a closed uWS socket must not be touched. */
  private ws?: Wire = undefined;
  /**
   * Frames of the last second (docs/protocol.md §1.1); undefined stands for a full bucket, which
   * is what a new connection has and what any bucket returns to after a second of silence.
   */
  private rate?: FrameRate = undefined;
  /**
   * Requests of one connection are taken one after the other, in arrival order: this is
   * the last one queued, undefined once it has settled (nothing queued).
   */
  private tail?: Promise<void> = undefined;

  /**
   * `openedAt` is not kept: the frame-rate bucket starts full, which is the state it would
   * have reached by the first frame anyway.
   */
  constructor(
    readonly connId: string,
    /** Remote address of the upgrade request (`account_login {address}`). */
    readonly address: string,
    private readonly limits: ConnectionLimits,
    _openedAt: number,
    /** Told of every frame written (the frames-out metric). */
    private readonly onSent?: () => void,
  ) {}

  /** True from uWS `open` until its `close`; a closed uWS socket must not be touched. */
  get isOpen(): boolean {
    return this.ws !== undefined;
  }

  attach(ws: Wire): void {
    this.ws = ws;
  }

  /** Called from uWS `close`: the socket is gone. */
  detach(): void {
    this.ws = undefined;
    this.rate = undefined;
  }

  /** Counts one frame against `Gateway.FramesPerSecond`; false when it is over the limit. */
  admitFrame(nowMs: number): boolean {
    const perSecond = this.limits.framesPerSecond;
    if (perSecond === 0) return true;
    this.rate ??= new FrameRate(perSecond, nowMs);
    return this.rate.admit(nowMs);
  }

  /**
   * Drops the frame-rate bucket once it is full again (a second without frames), so a
   * connection that went quiet costs no more than a new one. Called by the periodic ping.
   */
  forgetIdleState(nowMs: number): void {
    if (this.rate?.isFull(nowMs)) this.rate = undefined;
  }

  /**
   * Writes one text frame. Returns false when the socket is closed or was just closed
   * because its send buffer passed the bound (the frame is then dropped).
   */
  send(text: string): boolean {
    const ws = this.ws;
    if (!ws) return false;
    let status = 0;
    ws.cork(() => {
      status = ws.send(text, false, false);
    });
    // 2: dropped at uWS's own maxBackpressure; otherwise check what is queued now.
    if (status === 2 || ws.getBufferedAmount() > this.limits.maxBufferedBytes) {
      this.close(CLOSE_SEND_BUFFER_FULL, 'send buffer full');
      return false;
    }
    this.onSent?.();
    return true;
  }

  /** Sends a WebSocket ping control frame (docs/protocol.md §2.2). */
  ping(): void {
    this.ws?.ping();
  }

  /** Closes with a close frame; uWS runs the close handler synchronously. */
  close(code: number, reason: string): void {
    this.ws?.end(code, reason);
  }

  /** Runs `task` after every task queued before it; a failing task does not stop the queue. */
  enqueue(task: () => Promise<void>): Promise<void> {
    const run = (this.tail ?? Promise.resolve()).then(task);
    // Nothing queued behind this task once it settles: the connection holds no queue then.
    const settled = (): undefined => {
      if (this.tail === tail) this.tail = undefined;
      return undefined;
    };
    const tail: Promise<void> = run.then(settled, settled);
    this.tail = tail;
    return run;
  }
}
