import { ChatError, ChatSocket, type PushEvents } from '@chat/client';
import { PUSH_EVENTS, type ClientEvent } from '@chat/protocol';
import { waitFor, type WsPush } from '@chat/testing';
import WebSocket from 'ws';

/** How long the SDK waits for a reply; each `request` below sets its own, shorter, wait. */
const SDK_REQUEST_TIMEOUT_MS = 120_000;
const KNOWN_PUSHES = new Set<string>(Object.values(PUSH_EVENTS));

export interface OpenOptions {
  /** Let the SDK reconnect after a drop (with its backoff). Default false: a test sees closes. */
  reconnect?: boolean;
}

/** How a connection of the socket ended: the WebSocket close code and reason. */
export interface Closed {
  code: number;
  reason: string;
}

/** A reply frame as a test looks at it: the code, the message, the data (docs/protocol.md §1). */
export interface SocketReply<T = any> {
  status_code: number;
  status_msg: string;
  data?: T;
}

/** What the connections of one socket recorded, shared with its WebSocket class. */
interface Recorded {
  pushes: WsPush[];
  closes: Closed[];
  /** Connections made so far. */
  opened: number;
  /** The latest connection. */
  current?: WebSocket;
  /** Called after each close. */
  onClose: (() => void)[];
}

/**
 * One account's socket as the end-to-end suites use it: the SDK's `ChatSocket` (libs/client)
 * — `auth` request, replies matched by id, pushes by event — plus what a test looks at on
 * top of a client: every push kept in arrival order (`pushes`), replies as whole frames
 * (`status_code` whatever it is), and the close code of each connection.
 *
 * For the normal protocol only. Suites that authenticate at the upgrade, send frames before
 * or instead of `auth`, send malformed frames, or check the exact shape of error replies use
 * `WsClient` of `@chat/testing`, the raw-frame client.
 */
export class TestSocket {
  /** Resolves with the close of the first connection (the only one unless `reconnect`). */
  readonly closed: Promise<Closed>;

  private constructor(
    readonly chat: ChatSocket,
    private readonly record: Recorded,
  ) {
    this.closed = new Promise((resolve) => {
      const first = () => {
        if (record.closes.length > 0) resolve(record.closes[0]!);
        else record.onClose.push(first);
      };
      first();
    });
  }

  /** Every push, in arrival order: `{ event, data }`. */
  get pushes(): WsPush[] {
    return this.record.pushes;
  }

  /** The close of each connection the SDK made, in order. */
  get closes(): Closed[] {
    return this.record.closes;
  }

  /** Connects to `url` and authenticates with `token` (an `auth` request, §2.1). */
  static async open(url: string, token: string, options: OpenOptions = {}): Promise<TestSocket> {
    const record: Recorded = { pushes: [], closes: [], opened: 0, onClose: [] };
    /**
     * `ws`'s WebSocket, which the SDK drives through its `on…` properties; listening next to
     * it, each connection notes its close code, and any push the protocol's list of events
     * does not name (the SDK has no subscription for it, but a check must still see it).
     */
    class RecordingWebSocket extends WebSocket {
      constructor(address: string) {
        super(address);
        record.opened++;
        record.current = this;
        // The SDK drops its listeners when closed; an error after that must not throw.
        this.on('error', () => undefined);
        this.on('close', (code: number, reason: Buffer) => {
          record.closes.push({ code, reason: reason.toString() });
          for (const waiter of record.onClose.splice(0)) waiter();
        });
        this.on('message', (raw: Buffer, isBinary: boolean) => {
          if (isBinary) return;
          let frame: { id?: unknown; event?: unknown; data?: unknown };
          try {
            frame = JSON.parse(raw.toString());
          } catch {
            return;
          }
          if (typeof frame.id === 'number' || typeof frame.event !== 'string') return;
          if (!KNOWN_PUSHES.has(frame.event)) record.pushes.push(frame as WsPush);
        });
      }
    }
    const chat = new ChatSocket({
      url,
      token,
      WebSocket: RecordingWebSocket,
      reconnect: options.reconnect ?? false,
      requestTimeoutMs: SDK_REQUEST_TIMEOUT_MS,
    });
    for (const event of KNOWN_PUSHES) {
      chat.on(event as keyof PushEvents, (data) => record.pushes.push({ event, data }));
    }
    const socket = new TestSocket(chat, record);
    try {
      await chat.connect();
    } catch (err) {
      await socket.close();
      throw err;
    }
    return socket;
  }

  /**
   * Authenticated, and the connection open (false from the server's close frame on, before
   * the SDK sees the close; with `reconnect`, false while reconnecting).
   */
  get isOpen(): boolean {
    return this.chat.state === 'open' && this.record.current?.readyState === WebSocket.OPEN;
  }

  /**
   * A request through the SDK, answered as the whole reply frame: an error code is a reply
   * like any other here (its `data` holds `retry_after_ms` where the server gave one). Rejects
   * when no reply came within `timeoutMs` or the connection ended first.
   */
  async request<T = any>(
    event: ClientEvent,
    data?: unknown,
    timeoutMs = 10_000,
  ): Promise<SocketReply<T>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no reply to ${event} within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const reply = await Promise.race([this.chat.request<T>(event, data), late]);
      return { status_code: 0, status_msg: 'ok', data: reply };
    } catch (err) {
      if (!(err instanceof ChatError) || err.reason !== 'reply') throw err;
      const reply: SocketReply<T> = { status_code: err.code, status_msg: err.message };
      if (err.retryAfterMs !== undefined) {
        reply.data = { retry_after_ms: err.retryAfterMs } as T;
      } else if (err.data !== undefined) {
        reply.data = err.data as T;
      }
      return reply;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for a push matching `predicate`, looking at pushes already received too. */
  waitForPush<T = any>(
    predicate: (p: WsPush<T>) => boolean,
    what = 'a push',
    timeoutMs = 10_000,
  ): Promise<WsPush<T>> {
    return waitFor(
      () => this.pushes.find(predicate as (p: WsPush) => boolean) as WsPush<T> | undefined,
      { timeoutMs, what },
    );
  }

  /** Closes for good (no reconnection); resolves once every connection it made is closed. */
  close(): Promise<void> {
    this.chat.close();
    const { record } = this;
    return new Promise((resolve) => {
      const check = () => {
        if (record.closes.length >= record.opened) resolve();
        else record.onClose.push(check);
      };
      check();
    });
  }
}
