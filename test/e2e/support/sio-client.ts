import { waitFor } from '@chat/testing';
import { io, type Socket } from 'socket.io-client';

/** The answer to a request's acknowledgement (docs/protocol.md §7): the reply without `id`. */
export interface SioAck<T = any> {
  status_code: number;
  status_msg: string;
  data?: T;
}

export interface SioEvent<T = any> {
  event: string;
  data: T;
}

/** The `error` event before the server disconnects a client (docs/protocol.md §7). */
export interface SioCloseError {
  status_code: number;
  status_msg: string;
  close_code: number;
  close_reason: string;
}

/**
 * A Socket.IO client of the gateway for tests (`socket.io-client`, WebSocket transport):
 * requests are events with an acknowledgement, every event the server emits is kept in
 * order, and the end of the connection is recorded with its reason.
 */
export class SioClient {
  readonly events: SioEvent[] = [];
  /** Resolves when the connection ends, with the client's reason (`io server disconnect`). */
  readonly disconnected: Promise<string>;

  private constructor(readonly socket: Socket) {
    socket.onAny((event: string, data: unknown) => this.events.push({ event, data }));
    this.disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
  }

  /**
   * Connects to the server at `baseUrl` (`http://host:port`, the same port as `/ws`), with
   * `token` in the handshake's `auth` when given; resolves once connected.
   */
  static async connect(
    baseUrl: string,
    opts: { token?: string; transports?: ('websocket' | 'polling')[] } = {},
  ): Promise<SioClient> {
    const socket = io(baseUrl, {
      path: '/socket.io/',
      transports: opts.transports ?? ['websocket'],
      auth: opts.token ? { token: opts.token } : {},
      reconnection: false,
      forceNew: true,
      timeout: 10_000,
    });
    const client = new SioClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return client;
  }

  /** `http://host:port` of a gateway's `/ws` URL. */
  static baseOf(wsUrl: string): string {
    const url = new URL(wsUrl);
    return `${url.protocol === 'wss:' ? 'https' : 'http'}://${url.host}`;
  }

  /** Emits `event` with `data` and waits for its acknowledgement. */
  request<T = any>(event: string, data?: unknown, timeoutMs = 10_000): Promise<SioAck<T>> {
    const socket = this.socket.timeout(timeoutMs);
    return (
      data === undefined ? socket.emitWithAck(event) : socket.emitWithAck(event, data)
    ) as Promise<SioAck<T>>;
  }

  /** Waits for an event matching `predicate`, looking at those received already too. */
  waitForEvent<T = any>(
    predicate: (e: SioEvent<T>) => boolean,
    what = 'an event',
    timeoutMs = 10_000,
  ): Promise<SioEvent<T>> {
    return waitFor(
      () => this.events.find(predicate as (e: SioEvent) => boolean) as SioEvent<T> | undefined,
      { timeoutMs, what },
    );
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.socket.disconnect();
  }
}
