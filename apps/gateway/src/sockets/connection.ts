import type { AppError } from '@chat/protocol';
import type { WebSocket } from 'uWebSockets.js';
import { FrameRate } from './frame-rate';

/**
 * Close code for a client that stopped reading: its send buffer passed
 * `Gateway.MaxBufferedBytes`. EVENTS.md §2.4 has no code for it; 4408 sits next to the
 * spec's own 44xx codes. The close frame itself may not get through to a client that does
 * not read, which then sees the connection drop (1006).
 */
export const CLOSE_SEND_BUFFER_FULL = 4408;

/** uWS keeps this object with the socket; `getUserData().conn` leads back to our state. */
export interface SocketData {
  conn: Connection;
  /** What the upgrade request carried: a token to check, or why its credentials failed. */
  upgrade?: { token: string } | { error: AppError };
}

export interface ConnectionLimits {
  framesPerSecond: number;
  maxBufferedBytes: number;
}

/**
 * One client socket and what the gateway knows of it. Every write goes through `send`,
 * which enforces the send-buffer bound: a client that stops reading is closed, so it can
 * never grow this process's memory beyond `maxBufferedBytes` (plus one frame).
 */
export class Connection {
  /** Authenticated account; null until the first successful auth (EVENTS.md §2.1). */
  accountId: number | null = null;
  /** Expiry of the token that authenticated (or last refreshed) this connection, epoch ms. */
  expiresAt = 0;
  /** True from uWS `open` until its `close`; a closed uWS socket must not be touched. */
  isOpen = false;
  /** Requests accepted but not answered yet (queued, or waiting for a produce ack). */
  pending = 0;
  readonly rate: FrameRate;
  authTimer?: NodeJS.Timeout;
  private ws?: WebSocket<SocketData>;
  /** Requests of one connection are taken one after the other, in arrival order. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly connId: string,
    /** Remote address of the upgrade request (`account_login {address}`). */
    readonly address: string,
    private readonly limits: ConnectionLimits,
    readonly openedAt: number,
    /** Told of every frame written (the frames-out metric). */
    private readonly onSent?: () => void,
  ) {
    this.rate = new FrameRate(limits.framesPerSecond, openedAt);
  }

  attach(ws: WebSocket<SocketData>): void {
    this.ws = ws;
    this.isOpen = true;
  }

  /** Called from uWS `close`: the socket is gone. */
  detach(): void {
    this.isOpen = false;
    this.ws = undefined;
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = undefined;
  }

  /**
   * Writes one text frame. Returns false when the socket is closed or was just closed
   * because its send buffer passed the bound (the frame is then dropped).
   */
  send(text: string): boolean {
    const ws = this.ws;
    if (!this.isOpen || !ws) return false;
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

  /** Sends a WebSocket ping control frame (EVENTS.md §2.2). */
  ping(): void {
    if (this.isOpen && this.ws) this.ws.ping();
  }

  /** Closes with a close frame; uWS runs the close handler synchronously. */
  close(code: number, reason: string): void {
    const ws = this.ws;
    if (!this.isOpen || !ws) return;
    ws.end(code, reason);
  }

  /** Runs `task` after every task queued before it; a failing task does not stop the queue. */
  enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
