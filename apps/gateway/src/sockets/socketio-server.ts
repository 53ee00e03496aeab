import type { Logger } from '@chat/logger';
import { Server, type Socket } from 'socket.io';
import uWS, { type HttpResponse, type TemplatedApp } from 'uWebSockets.js';
import type { GatewayMetrics } from '../ops/gateway-metrics';
import type { Dispatcher } from '../requests/dispatcher';
import type { Connection, SocketData } from './connection';
import type { ConnectionAdmission } from './connection-admission';
import { SocketIoWire, type AckBody } from './socketio-wire';

/**
 * Where Socket.IO clients connect (docs/protocol.md §7): Socket.IO's default path, so the
 * older server's clients need no change of it.
 */
export const SOCKET_IO_PATH = '/socket.io/';

export interface SocketIoOptions {
  /** `Gateway.AuthTimeout`: also how long a client may take to join the namespace. */
  authTimeoutMs: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
  /** uWS's idle timeout of the socket, in seconds (as for `/ws`). */
  idleTimeoutSec: number;
  /** A Socket.IO packet above this closes the connection (uWS's `maxPayloadLength`). */
  hardFrameLimitBytes: number;
  maxBufferedBytes: number;
  /** `Token.AuthorizationKey`, the header that may carry the token at connect. */
  authorizationHeader: string;
}

/** What the gateway's socket server does for every kind of connection (`WsServer`). */
export interface SocketIoHost {
  /** A new connection for a client whose peer is `remote`, with its `X-Forwarded-For`. */
  newConnection(remote: string, forwardedFor: string): Connection;
  /** Credentials given at connect: a token, or why the header holding one is unreadable. */
  credentials(token: string | undefined, header: string): SocketData['upgrade'];
  /** The connection opened on `wire`: registered, given its deadline, authenticated. */
  opened(conn: Connection, wire: SocketIoWire, upgrade: SocketData['upgrade']): void;
  /** The connection closed: leaves the session and gives back its places. */
  closed(conn: Connection): void;
  guard(what: string, run: () => void): void;
}

export interface SocketIoDeps {
  dispatcher: Pick<Dispatcher, 'onText'>;
  admission: Pick<ConnectionAdmission, 'limitsAddresses' | 'admitAddress' | 'release'>;
  isStopping(): boolean;
  metrics: Pick<GatewayMetrics, 'frameIn'>;
  log: Logger;
}

/**
 * What Engine.IO hands `allowRequest` on uWebSockets.js: the uWS request, with the headers,
 * query and peer address it copied out of it, and its response.
 */
interface EngineRequest {
  headers: Record<string, string | undefined>;
  connection: { remoteAddress: string };
  res: HttpResponse;
  /** The gateway's connection for this client, from `allowRequest` until it joins. */
  chatConn?: Connection;
}

/** The uWS socket under a Socket.IO connection's WebSocket transport. */
interface TransportSocket {
  getBufferedAmount(): number;
}

/**
 * Socket.IO on the gateway's uWebSockets.js app (docs/protocol.md §7): each Socket.IO
 * connection is one more `Connection` of the gateway, in the same registry, served by the
 * same dispatcher, session, limits, presence and delivery as a `/ws` socket. Only the
 * encoding differs (`SocketIoWire`): a client event is the request frame it stands for, its
 * acknowledgement gets the reply, a push is an event, a close an `error` event and a
 * disconnect.
 *
 * WebSocket transport only: one client is one TCP connection, as on `/ws`, so a TCP
 * balancer without sticky sessions and the one-process server's upgrade hand-off serve it,
 * and the limits apply as they do to `/ws` (the address counted before the upgrade, the
 * send buffer measured on the socket).
 */
export class SocketIoServer {
  private readonly io: Server;

  constructor(
    app: TemplatedApp,
    private readonly opts: SocketIoOptions,
    private readonly host: SocketIoHost,
    private readonly deps: SocketIoDeps,
  ) {
    this.io = new Server({
      path: SOCKET_IO_PATH,
      serveClient: false,
      transports: ['websocket'],
      allowUpgrades: false,
      perMessageDeflate: false,
      httpCompression: false,
      maxHttpBufferSize: opts.hardFrameLimitBytes,
      pingInterval: opts.pingIntervalMs,
      // Engine.IO's liveness: a client that answers no ping within this is dropped, so a
      // silent one goes after about `Gateway.IdleTimeout`, as on `/ws`.
      pingTimeout: Math.max(1000, opts.idleTimeoutMs - opts.pingIntervalMs),
      connectTimeout: opts.authTimeoutMs,
      allowRequest: (req, callback) =>
        this.allow(req as unknown as EngineRequest, (refusal) =>
          callback(refusal ?? null, refusal === undefined),
        ),
    });
    this.io.attachApp(app, {
      compression: uWS.DISABLED,
      idleTimeout: opts.idleTimeoutSec,
      // Above the gateway's own bound (`Connection.send` closes with 4408 past it), so uWS
      // never drops a frame silently under Engine.IO, which ignores what `send` returns.
      maxBackpressure: opts.maxBufferedBytes + opts.hardFrameLimitBytes,
    } as Parameters<Server['attachApp']>[1]);
    this.io.engine.on(
      'connection',
      (raw: { request: EngineRequest; once: NodeJS.EventEmitter['once'] }) => {
        const conn = raw.request.chatConn;
        // A client that never joined the namespace gives back the place it was counted in.
        if (conn)
          raw.once('close', () =>
            host.guard('socket.io close', () => deps.admission.release(conn)),
          );
      },
    );
    this.io.on('connection', (socket) => host.guard('socket.io open', () => this.open(socket)));
  }

  /** Closes Socket.IO's server side (its connections were closed with the others before). */
  async close(): Promise<void> {
    await this.io.close();
  }

  /**
   * Engine.IO's `allowRequest`, before the upgrade: refused while shutting down, and past
   * `Gateway.MaxConnectionsPerAddress` (answered 403 with Engine.IO's JSON error body, whose
   * `message` says why). Calls `done` with the refusal, or with nothing when admitted.
   */
  private allow(req: EngineRequest, done: (refusal?: string) => void): void {
    const { admission, isStopping, log } = this.deps;
    try {
      if (isStopping()) return done('shutting down');
      const conn = this.host.newConnection(
        req.connection.remoteAddress,
        req.headers['x-forwarded-for'] ?? '',
      );
      req.chatConn = conn;
      if (!admission.limitsAddresses) return done();
      let aborted = false;
      req.res.onAborted(() => {
        aborted = true;
      });
      admission
        .admitAddress(conn)
        .then(
          (admitted) => {
            // Gone meanwhile: nothing may touch its response, and its place is given back.
            if (aborted) return admission.release(conn);
            if (!admitted) return done('too many connections from this address');
            if (isStopping()) {
              admission.release(conn);
              return done('shutting down');
            }
            done();
          },
          (err: unknown) => {
            log.warn({ err }, 'connection count unavailable, socket.io connection refused');
            if (!aborted) done('try again later');
          },
        )
        .catch((err: unknown) => log.error({ err }, 'socket.io upgrade failed'));
    } catch (err) {
      log.error({ err }, 'socket.io upgrade failed');
      done('server error');
    }
  }

  private open(socket: Socket): void {
    const req = socket.request as unknown as EngineRequest;
    const conn = req.chatConn;
    // One connection per client: a second namespace join on the same transport is refused.
    req.chatConn = undefined;
    if (!conn) {
      socket.disconnect(true);
      return;
    }
    const wire = new SocketIoWire(socket, () => this.buffered(socket));
    // Every event is taken here and goes no further: the socket's own listeners never run
    // (an event named `error` from a client would otherwise throw out of Socket.IO).
    socket.use(([event, ...args]) =>
      this.host.guard('socket.io event', () => {
        this.deps.metrics.frameIn();
        const ack =
          typeof args.at(-1) === 'function' ? (args.pop() as (b: AckBody) => void) : undefined;
        this.deps.dispatcher.onText(conn, wire.request(event, args[0], ack));
      }),
    );
    socket.on('error', (err) =>
      this.deps.log.debug({ err, connId: conn.connId }, 'socket.io error'),
    );
    socket.on('disconnect', () => this.host.guard('socket.io close', () => this.host.closed(conn)));
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const query = socket.handshake.query.token;
    const token =
      typeof auth?.token === 'string' && auth.token !== ''
        ? auth.token
        : typeof query === 'string' && query !== ''
          ? query
          : undefined;
    const header = socket.handshake.headers[this.opts.authorizationHeader.toLowerCase()];
    this.host.opened(
      conn,
      wire,
      this.host.credentials(token, typeof header === 'string' ? header : ''),
    );
  }

  private buffered(socket: Socket): number {
    const transport = socket.conn.transport as unknown as { socket?: TransportSocket };
    try {
      return transport.socket?.getBufferedAmount() ?? 0;
    } catch {
      return 0;
    }
  }
}
