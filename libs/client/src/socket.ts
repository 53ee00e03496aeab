import type { ClientEvent, ReplyData, ReplyFrame } from '@chat/protocol';
import { backoffDelay, type BackoffOptions } from './backoff';
import { CLIENT_SIDE_CODES, ChatError } from './errors';
import type { AuthResult, PushEvents, ReadResult, SendMessageAck, SendMessageInput } from './types';

/**
 * What the socket needs of a WebSocket: the WHATWG interface that browsers have and the `ws`
 * package implements.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/**
 * A WebSocket class: the browser's, or `ws`'s in Node 20 (which has none). Typed loosely so
 * that either fits; it must behave as `WebSocketLike`.
 */
export type WebSocketConstructor = new (url: string) => object;

/** `connecting` until authenticated, `open` while authenticated, `closed` after `close()`. */
export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ChatSocketOptions {
  /** The WebSocket URL, e.g. `ws://localhost:8080/ws` (docs/protocol.md, intro). */
  url: string;
  /**
   * The account token (docs/protocol.md §2.1), or a function giving one, called on each
   * connection: pass a function to hand a refreshed token to later reconnections.
   */
  token: string | (() => string | Promise<string>);
  /** Defaults to the global `WebSocket`; Node 20 has none, pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /** How long a request waits for its reply. Default 10 s. */
  requestTimeoutMs?: number;
  /** The waits between reconnection attempts. */
  backoff?: BackoffOptions;
  /** Whether to reconnect after a drop. Default true. */
  reconnect?: boolean;
  /** Random numbers in [0, 1) for the jitter; `Math.random` by default. */
  random?: () => number;
  /** Makes client message ids; `crypto.randomUUID` by default. */
  newClientMsgId?: () => string;
}

const OPEN = 1;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/**
 * Auth replies after which reconnecting with the same token cannot succeed: a token that is
 * not an account token (2008), an account that is gone (2010), a token that expired or whose
 * session ended (2013) — unless a token function can give a new one.
 */
const FATAL_AUTH_CODES = [2008, 2010, 2013];
/** Close codes after which reconnecting is pointless: the account was deleted (§2.4). */
const FATAL_CLOSE_CODES = [4403];

interface Pending {
  resolve(data: unknown): void;
  reject(err: ChatError): void;
  timer: ReturnType<typeof setTimeout>;
}

type Handler<T> = (data: T) => void;

/**
 * A WebSocket connection to the chat server (docs/protocol.md): authenticates with an `auth`
 * request, matches replies to requests by frame `id`, hands pushes to subscribers, and
 * reconnects after a drop with exponential backoff and jitter until `close()`.
 */
export class ChatSocket {
  private readonly options: ChatSocketOptions;
  private readonly WebSocketClass: WebSocketConstructor;
  private readonly requestTimeoutMs: number;
  private socket: WebSocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Set<Handler<never>>>();
  private readonly stateHandlers = new Set<Handler<SocketState>>();
  private readyWaiters: { resolve(): void; reject(err: ChatError): void }[] = [];
  private currentState: SocketState = 'connecting';
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private started = false;
  private closedWith: ChatError | null = null;
  private lastAuth: AuthResult | null = null;

  constructor(options: ChatSocketOptions) {
    this.options = options;
    const ctor =
      options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!ctor) throw new Error('no WebSocket class: pass one as the WebSocket option');
    this.WebSocketClass = ctor;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  get state(): SocketState {
    return this.currentState;
  }

  /** The last successful authentication (account id and the connection's expiry). */
  get auth(): AuthResult | null {
    return this.lastAuth;
  }

  /** Opens the connection (once) and resolves when it is authenticated. */
  connect(): Promise<void> {
    if (!this.started) {
      this.started = true;
      this.open();
    }
    return this.ready();
  }

  /**
   * Resolves once the socket is authenticated; at once if it is. Rejects if it is closed, or
   * was given up (a fatal authentication failure).
   */
  ready(): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.currentState === 'open') return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Stops for good: no reconnection; waiting requests and sends reject with reason `closed`. */
  close(): void {
    this.giveUp(new ChatError(CLIENT_SIDE_CODES.serverError, 'socket closed', 'closed'));
  }

  /** Subscribes to a push (docs/protocol.md §4); returns the unsubscribe function. */
  on<E extends keyof PushEvents>(event: E, handler: Handler<PushEvents[E]>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onState(handler: Handler<SocketState>): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  /**
   * One request on the current authenticated connection (waiting for one if there is none):
   * resolves with the reply's `data`, rejects with a `ChatError` on a non-zero code, on
   * timeout, or when the connection drops first. It is not resent.
   */
  async request<T = unknown>(event: ClientEvent, data?: unknown): Promise<T> {
    await this.ready();
    return this.send<T>(event, data);
  }

  /** `ping` (docs/protocol.md §3.1). */
  ping(): Promise<{ server_time: string }> {
    return this.request('ping');
  }

  /** `read_msg` (docs/protocol.md §3.3). */
  readMessages(relationId: number, msgIds: number[]): Promise<ReadResult> {
    return this.request('read_msg', { relation_id: relationId, msg_ids: msgIds });
  }

  /**
   * `typing` (docs/protocol.md §3.4): while the user types, call with `true` every
   * `TYPING_REFRESH_MS` (3 s); with `false` once they stop or send. `forwarded` is false when
   * the server's rate limit dropped it (not an error).
   */
  sendTyping(relationId: number, state: boolean): Promise<{ forwarded: boolean }> {
    return this.request('typing', { relation_id: relationId, state });
  }

  /**
   * `presence_subscribe` (docs/protocol.md §3.5): the current state of friends and fellow
   * group members (others: 2009), then `presence` pushes on changes. Subscriptions end with
   * the connection: subscribe again after every reconnection (`onState('open')`).
   */
  subscribePresence(accountIds: number[]): Promise<ReplyData['presence_subscribe']> {
    return this.request('presence_subscribe', { account_ids: accountIds });
  }

  /** `presence_unsubscribe` (docs/protocol.md §3.5). */
  unsubscribePresence(accountIds: number[]): Promise<ReplyData['presence_unsubscribe']> {
    return this.request('presence_unsubscribe', { account_ids: accountIds });
  }

  /** `presence_hidden` (docs/protocol.md §3.6): appear offline to everyone else, or not. */
  setPresenceHidden(hidden: boolean): Promise<ReplyData['presence_hidden']> {
    return this.request('presence_hidden', { hidden });
  }

  /**
   * `send_msg` (docs/protocol.md §3.2) under a `client_msg_id` (the given one, or a new UUID),
   * sent again with that same id until acked: after a reconnection, a timeout, a 1005 (still
   * in progress) or a 1004 with `retry_after_ms` (after that wait). The server stores a
   * message once per id (§5), so the retries cannot duplicate it. Rejects on any other
   * error code, and on `close()`.
   */
  async sendMessage(input: SendMessageInput): Promise<SendMessageAck> {
    const clientMsgId = input.client_msg_id ?? this.newClientMsgId();
    const data: SendMessageInput = { ...input, client_msg_id: clientMsgId };
    for (;;) {
      await this.ready();
      try {
        const ack = await this.send<{ msg_id: number; create_at: string }>('send_msg', data);
        return { msg_id: ack.msg_id, create_at: ack.create_at, client_msg_id: clientMsgId };
      } catch (err) {
        if (!(err instanceof ChatError)) throw err;
        if (err.reason === 'disconnected' || err.reason === 'timeout') continue;
        if (err.reason === 'reply' && err.code === CLIENT_SIDE_CODES.timeout) continue;
        if (err.reason === 'reply' && err.code === 1004 && err.retryAfterMs !== undefined) {
          await this.wait(err.retryAfterMs);
          continue;
        }
        throw err;
      }
    }
  }

  private newClientMsgId(): string {
    if (this.options.newClientMsgId) return this.options.newClientMsgId();
    const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
    if (!crypto?.randomUUID) throw new Error('no crypto.randomUUID: pass newClientMsgId');
    return crypto.randomUUID();
  }

  /** Resolves after `ms`, or rejects when the socket is closed meanwhile. */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.offState(onState);
        resolve();
      }, ms);
      const onState = (state: SocketState): void => {
        if (state !== 'closed') return;
        clearTimeout(timer);
        this.offState(onState);
        reject(this.closedWith);
      };
      this.stateHandlers.add(onState);
    });
  }

  private offState(handler: Handler<SocketState>): void {
    this.stateHandlers.delete(handler);
  }

  /** Writes a request frame on the current connection and waits for its reply. */
  private send<T>(event: ClientEvent, data: unknown): Promise<T> {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) {
      return Promise.reject(
        new ChatError(CLIENT_SIDE_CODES.serverError, 'not connected', 'disconnected'),
      );
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ChatError(
            CLIENT_SIDE_CODES.timeout,
            `${event}: no reply within ${this.requestTimeoutMs} ms`,
            'timeout',
          ),
        );
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve: resolve as (data: unknown) => void, reject, timer });
      socket.send(JSON.stringify(data === undefined ? { id, event } : { id, event, data }));
    });
  }

  private open(): void {
    this.setState(this.attempt === 0 && !this.lastAuth ? 'connecting' : 'reconnecting');
    const socket = new this.WebSocketClass(this.options.url) as WebSocketLike;
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket === socket) void this.authenticate(socket);
    };
    socket.onmessage = (message) => {
      if (this.socket === socket) this.receive(message.data);
    };
    socket.onerror = () => {
      // A close event follows every error; reconnection is handled there.
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.dropped(event.code);
    };
  }

  private async authenticate(socket: WebSocketLike): Promise<void> {
    try {
      const { token } = this.options;
      const value = typeof token === 'function' ? await token() : token;
      const result = await this.send<AuthResult>('auth', { token: value });
      if (this.socket !== socket) return;
      this.lastAuth = result;
      this.attempt = 0;
      this.setState('open');
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const waiter of waiters) waiter.resolve();
    } catch (err) {
      if (this.socket !== socket) return;
      const fatal =
        err instanceof ChatError &&
        err.reason === 'reply' &&
        FATAL_AUTH_CODES.includes(err.code) &&
        typeof this.options.token !== 'function';
      if (fatal) {
        this.giveUp(err);
        return;
      }
      // A timeout, a 1004 or 1003: try again on a new connection.
      socket.close();
    }
  }

  private receive(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let frame: Partial<ReplyFrame> & { event?: string };
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    if (typeof frame.id === 'number') {
      const pending = this.pending.get(frame.id);
      if (!pending) return;
      this.pending.delete(frame.id);
      clearTimeout(pending.timer);
      if (frame.status_code === 0) {
        pending.resolve(frame.data);
      } else {
        const retryAfter = (frame.data as { retry_after_ms?: unknown } | undefined)?.retry_after_ms;
        pending.reject(
          new ChatError(
            frame.status_code ?? CLIENT_SIDE_CODES.serverError,
            frame.status_msg ?? 'request failed',
            'reply',
            typeof retryAfter === 'number' ? retryAfter : undefined,
          ),
        );
      }
      return;
    }
    if (typeof frame.event === 'string') {
      for (const handler of this.handlers.get(frame.event) ?? []) {
        (handler as Handler<unknown>)((frame as { data?: unknown }).data);
      }
    }
  }

  /** The connection ended: fail what waits on it, then reconnect after the backoff. */
  private dropped(code: number): void {
    this.socket = null;
    this.failPending(
      new ChatError(CLIENT_SIDE_CODES.serverError, 'connection lost', 'disconnected'),
    );
    if (this.closedWith) return;
    if (this.options.reconnect === false || FATAL_CLOSE_CODES.includes(code)) {
      this.giveUp(new ChatError(CLIENT_SIDE_CODES.serverError, 'connection lost', 'closed'));
      return;
    }
    this.setState('reconnecting');
    const delay = backoffDelay(this.attempt++, this.options.backoff, this.options.random);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closedWith) this.open();
    }, delay);
  }

  private failPending(err: ChatError): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const request of pending) {
      clearTimeout(request.timer);
      request.reject(err);
    }
  }

  private giveUp(err: ChatError): void {
    if (this.closedWith) return;
    this.closedWith = err;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(1000);
    }
    this.failPending(err);
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const waiter of waiters) waiter.reject(err);
    this.setState('closed');
  }

  private setState(state: SocketState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    for (const handler of [...this.stateHandlers]) handler(state);
  }
}
