import WebSocket from 'ws';
import { waitFor } from './wait-for';

export interface WsReply<T = any> {
  id: number;
  status_code: number;
  status_msg: string;
  data?: T;
}

export interface WsPush<T = any> {
  event: string;
  data: T;
}

/**
 * A protocol client for tests (docs/protocol.md §1): requests carry an increasing `id` and resolve
 * with the matching reply; pushes (frames without `id`) are collected in order.
 */
export class WsClient {
  readonly pushes: WsPush[] = [];
  /** Resolves when the server closes (or the socket fails), with the close code. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextId = 1;
  private readonly pending = new Map<number, (r: WsReply) => void>();

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on('message', (raw: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const frame = JSON.parse(raw.toString()) as Partial<WsReply & WsPush>;
      if (typeof frame.id === 'number' && this.pending.has(frame.id)) {
        this.pending.get(frame.id)!(frame as WsReply);
        this.pending.delete(frame.id);
      } else if (typeof frame.event === 'string') {
        this.pushes.push(frame as WsPush);
      }
    });
  }

  /** Opens a socket; `token` goes in the query string as docs/protocol.md §2.1 allows. */
  static async connect(
    url: string,
    opts: { token?: string; headers?: Record<string, string> } = {},
  ): Promise<WsClient> {
    const u = new URL(url);
    if (opts.token) u.searchParams.set('token', opts.token);
    const socket = new WebSocket(u, { headers: opts.headers });
    socket.on('error', () => undefined);
    const client = new WsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends a request frame and waits for its reply. */
  request<T = any>(event: string, data?: unknown, timeoutMs = 10_000): Promise<WsReply<T>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply to ${event} #${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r as WsReply<T>);
      });
      this.socket.send(JSON.stringify(data === undefined ? { id, event } : { id, event, data }));
    });
  }

  /** Sends anything, as is (malformed-input tests). */
  sendRaw(payload: string | Buffer, binary = false): void {
    this.socket.send(payload, { binary });
  }

  /** Waits for a push matching `predicate`, looking at pushes already received too. */
  waitForPush<T = any>(
    predicate: (p: WsPush<T>) => boolean,
    what = 'a push',
    timeoutMs = 10_000,
  ): Promise<WsPush<T>> {
    return waitFor(
      () => this.pushes.find(predicate as (p: WsPush) => boolean) as WsPush<T> | undefined,
      {
        timeoutMs,
        what,
      },
    );
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(code);
    else if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    return this.closed;
  }
}
