import { randomBytes } from 'node:crypto';
import type { TokenService } from '@chat/auth';
import type { TrustProxy } from '@chat/config';
import type { Logger } from '@chat/logger';
import { AppError, CLOSE_CODES, ErrorCode } from '@chat/protocol';
import { clientAddress } from '@chat/runtime';
import uWS, {
  type HttpRequest,
  type HttpResponse,
  type TemplatedApp,
  type us_listen_socket,
  type us_socket_context_t,
  type WebSocket,
  type WebSocketBehavior,
} from 'uWebSockets.js';
import type { GatewayMetrics } from '../ops/gateway-metrics';
import { errorPushText } from '../protocol/frames';
import type { Dispatcher } from '../requests/dispatcher';
import type { Session } from '../requests/session';
import { readableAddress } from './address';
import { AuthDeadlines } from './auth-deadlines';
import { Connection, type ConnectionLimits, type SocketData, type Wire } from './connection';
import type { ConnectionAdmission } from './connection-admission';
import type { LocalSockets } from './local-sockets';
import { SocketIoServer } from './socketio-server';

/**
 * uWS closes a socket whose message exceeds its `maxPayloadLength` without a close frame
 * (the client sees 1006). So uWS is given this larger hard bound and the gateway itself
 * closes with 1009 above `Gateway.MaxFrameBytes` (docs/protocol.md §1.1); only frames past the
 * hard bound are dropped abruptly. It also bounds what uWS buffers per socket for one frame.
 */
const HARD_FRAME_LIMIT_BYTES = 2 * 1024 * 1024;

/** uWS accepts an idle timeout of 0 (off) or 8 … 960 seconds. */
const IDLE_TIMEOUT_MIN_SEC = 8;
const IDLE_TIMEOUT_MAX_SEC = 960;

export interface WsServerOptions {
  authTimeoutMs: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  framesPerSecond: number;
  /** `Token.AuthorizationKey`, the header that may carry the token at upgrade. */
  authorizationHeader: string;
  /** `Server.TrustProxy`: hops whose `X-Forwarded-For` is believed. */
  trustProxy: TrustProxy;
}

export interface WsServerDeps {
  dispatcher: Dispatcher;
  session: Session;
  sockets: LocalSockets;
  /** Connection limits: the address is counted at the upgrade, places given back at close. */
  admission: Pick<ConnectionAdmission, 'limitsAddresses' | 'admitAddress' | 'release'>;
  tokens: Pick<TokenService, 'fromHeader'>;
  nodeId: string;
  isStopping(): boolean;
  metrics: Pick<GatewayMetrics, 'frameIn' | 'frameOut'>;
  log: Logger;
}

/**
 * The uWebSockets.js side of the gateway: `/ws` upgrades, socket events, WebSocket pings,
 * Socket.IO clients at `/socket.io/` (`SocketIoServer`: the same connections, another
 * encoding), and a plain `GET /healthz` for a load balancer (`/readyz` and `/metrics` are on
 * the ops port, not here). Every uWS callback is wrapped: nothing a client sends can throw
 * out of one (docs/protocol.md §1.1: a bad frame never affects other connections or the
 * process).
 */
export class WsServer {
  private readonly app: TemplatedApp;
  private listenSocket?: us_listen_socket;
  private pinger?: NodeJS.Timeout;
  /** Per-process part of connection ids, so ids stay unique across restarts of a node. */
  private readonly boot = randomBytes(4).toString('hex');
  private nextConn = 0;
  /** One limits object and one frames-out callback for every connection (issue 10). */
  private readonly limits: ConnectionLimits;
  private readonly frameSent: () => void;
  /** docs/protocol.md §2.1: authenticated within the deadline, or closed with 4401. */
  private readonly authDeadlines: AuthDeadlines<Connection>;
  private readonly socketIo: SocketIoServer;

  constructor(
    private readonly opts: WsServerOptions,
    private readonly deps: WsServerDeps,
  ) {
    this.limits = {
      framesPerSecond: opts.framesPerSecond,
      maxBufferedBytes: opts.maxBufferedBytes,
    };
    this.frameSent = () => deps.metrics.frameOut();
    this.authDeadlines = new AuthDeadlines(opts.authTimeoutMs, (conn) =>
      this.guard('auth timeout', () => {
        if (conn.accountId === null)
          conn.close(CLOSE_CODES.notAuthenticated, 'authentication timeout');
      }),
    );
    const hardFrameLimitBytes = Math.max(HARD_FRAME_LIMIT_BYTES, 2 * opts.maxFrameBytes);
    // Silence (no frame, no pong) for the idle timeout ends the socket (docs/protocol.md §2.2).
    const idleTimeoutSec = Math.min(
      IDLE_TIMEOUT_MAX_SEC,
      Math.max(IDLE_TIMEOUT_MIN_SEC, Math.round(opts.idleTimeoutMs / 1000)),
    );
    const behavior: WebSocketBehavior<SocketData> & { resetIdleTimeoutOnSend: boolean } = {
      maxPayloadLength: hardFrameLimitBytes,
      // uWS drops a send past this; `Connection.send` closes the socket before that. (uWS's
      // own closeOnBackpressureLimit stays at its default, off: left unset, this compiles
      // against the typings of every uWS build docs/operations.md names, which differ on it.)
      maxBackpressure: opts.maxBufferedBytes,
      compression: uWS.DISABLED,
      // Our own sends must not count as activity, or a dead client would never time out.
      idleTimeout: idleTimeoutSec,
      sendPingsAutomatically: true,
      resetIdleTimeoutOnSend: false,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => this.guard('open', () => this.open(ws)),
      message: (ws, message, isBinary) =>
        this.guard('message', () => {
          deps.metrics.frameIn();
          deps.dispatcher.onFrame(ws.getUserData().conn, message, isBinary);
        }),
      close: (ws) => this.guard('close', () => this.closed(ws.getUserData().conn)),
    };
    this.app = uWS
      .App()
      .ws<SocketData>('/ws', behavior)
      .get('/healthz', (res) => this.health(res));
    this.socketIo = new SocketIoServer(
      this.app,
      {
        authTimeoutMs: opts.authTimeoutMs,
        pingIntervalMs: opts.pingIntervalMs,
        idleTimeoutMs: opts.idleTimeoutMs,
        idleTimeoutSec,
        hardFrameLimitBytes,
        maxBufferedBytes: opts.maxBufferedBytes,
        authorizationHeader: opts.authorizationHeader,
      },
      {
        newConnection: (remote, forwardedFor) => this.newConnection(remote, forwardedFor),
        credentials: (token, header) => (token ? { token } : this.fromHeader(header)),
        opened: (conn, wire, upgrade) => this.opened(conn, wire, upgrade),
        closed: (conn) => this.closed(conn),
        guard: (what, run) => this.guard(what, run),
      },
      deps,
    );
    this.app.any('/*', (res) => {
      res.cork(() => res.writeStatus('404 Not Found').end('not found'));
    });
  }

  /** Starts listening; resolves with the port (useful when `port` is 0). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (socket) => {
        if (!socket) {
          reject(new Error(`gateway: cannot listen on ${host}:${port}`));
          return;
        }
        this.listenSocket = socket;
        // Pings every `Gateway.PingInterval` (docs/protocol.md §2.2); uWS's own automatic pings
        // come only shortly before the idle timeout.
        this.pinger = setInterval(() => this.pingAll(), this.opts.pingIntervalMs);
        resolve(uWS.us_socket_local_port(socket as unknown as uWS.us_socket));
      });
    });
  }

  /** Stops accepting connections; open sockets stay. */
  stopListening(): void {
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
  }

  /** Closes every socket with `code` and stops pinging. */
  closeSockets(code: number, reason: string): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = undefined;
    this.authDeadlines.clear();
    for (const conn of this.deps.sockets.all())
      this.guard('close socket', () => conn.close(code, reason));
  }

  /** Releases whatever uWS still holds (idle HTTP keep-alive connections). */
  async close(): Promise<void> {
    this.stopListening();
    this.closeSockets(CLOSE_CODES.goingAway, 'server going away');
    await this.socketIo.close();
    // Present at run time in this uWS build, missing from its type declarations.
    (this.app as TemplatedApp & { close?: () => void }).close?.();
  }

  private upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    try {
      if (this.deps.isStopping()) {
        res.cork(() => res.writeStatus('503 Service Unavailable').end('shutting down'));
        return;
      }
      // The request object is valid only during this call: read everything first.
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const upgrade = this.credentials(req);
      const conn = this.newConnection(
        Buffer.from(res.getRemoteAddressAsText()).toString(),
        req.getHeader('x-forwarded-for'),
      );
      const accept = () =>
        res.upgrade<SocketData>({ conn, upgrade }, key, protocol, extensions, context);
      if (this.deps.admission.limitsAddresses) this.admitThenUpgrade(res, conn, accept);
      else accept();
    } catch (err) {
      this.deps.log.error({ err }, 'upgrade failed');
      this.answer(res, '500 Internal Server Error', '');
    }
  }

  /**
   * `Gateway.MaxConnectionsPerAddress`: the upgrade waits for the address to be counted
   * (across every gateway) and is answered 429 past the limit, before any socket exists.
   * A client that went away meanwhile gives its place back; a count that cannot be taken
   * (Redis unreachable) is answered 503.
   */
  private admitThenUpgrade(res: HttpResponse, conn: Connection, accept: () => void): void {
    const { admission, log } = this.deps;
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    void admission
      .admitAddress(conn)
      .then(
        (admitted) => {
          if (aborted) {
            admission.release(conn);
          } else if (!admitted) {
            this.answer(res, '429 Too Many Requests', 'too many connections from this address');
          } else if (this.deps.isStopping()) {
            admission.release(conn);
            this.answer(res, '503 Service Unavailable', 'shutting down');
          } else {
            try {
              res.cork(accept);
            } catch (err) {
              admission.release(conn);
              log.error({ err }, 'upgrade failed');
              this.answer(res, '500 Internal Server Error', '');
            }
          }
        },
        (err: unknown) => {
          log.warn({ err }, 'connection count unavailable, upgrade refused');
          if (!aborted) this.answer(res, '503 Service Unavailable', 'try again later');
        },
      )
      .catch((err: unknown) => log.error({ err }, 'upgrade failed'));
  }

  /** Answers an upgrade request with a plain HTTP response, if it is still there. */
  private answer(res: HttpResponse, status: string, body: string): void {
    try {
      res.cork(() => res.writeStatus(status).writeHeader('content-type', 'text/plain').end(body));
    } catch {
      // The response is gone already; nothing is left to answer.
    }
  }

  /** A connection of a client whose peer is `remote` (uWS's address text). */
  private newConnection(remote: string, forwardedFor: string): Connection {
    const address = clientAddress(readableAddress(remote), forwardedFor, this.opts.trustProxy);
    const connId = `${this.deps.nodeId}.${this.boot}.${(++this.nextConn).toString(36)}`;
    return new Connection(connId, address, this.limits, Date.now(), this.frameSent);
  }

  /** The token of the upgrade request: query `token`, else the authorization header. */
  private credentials(req: HttpRequest): SocketData['upgrade'] {
    const query = req.getQuery('token');
    if (query) return { token: query };
    return this.fromHeader(req.getHeader(this.opts.authorizationHeader.toLowerCase()));
  }

  /** The token of the authorization header, if one is given. */
  private fromHeader(header: string): SocketData['upgrade'] {
    if (!header) return undefined;
    try {
      return { token: this.deps.tokens.fromHeader(header) };
    } catch (err) {
      return { error: err instanceof AppError ? err : new AppError(ErrorCode.AuthFailed) };
    }
  }

  private open(ws: WebSocket<SocketData>): void {
    const data = ws.getUserData();
    const upgrade = data.upgrade;
    // uWS keeps the user data as long as the socket: the token is not needed past here.
    data.upgrade = undefined;
    this.opened(data.conn, ws, upgrade);
  }

  /**
   * A socket of either kind opened: registered, closed at once during shutdown, given its
   * authentication deadline, and authenticated with the token it came with, if any.
   */
  private opened(conn: Connection, wire: Wire, upgrade: SocketData['upgrade']): void {
    conn.attach(wire);
    this.deps.sockets.add(conn);
    if (this.deps.isStopping()) {
      conn.close(CLOSE_CODES.goingAway, 'server going away');
      return;
    }
    this.authDeadlines.add(conn);
    if (!upgrade) return;
    if ('error' in upgrade) {
      conn.send(errorPushText(upgrade.error.code, upgrade.error.message));
      conn.close(CLOSE_CODES.notAuthenticated, 'authentication failed');
      return;
    }
    this.deps.dispatcher.authenticateAtUpgrade(conn, upgrade.token);
  }

  /** A socket of either kind closed: it leaves its session and gives back its places. */
  private closed(conn: Connection): void {
    this.deps.session.closed(conn);
    this.deps.admission.release(conn);
  }

  private health(res: HttpResponse): void {
    const stopping = this.deps.isStopping();
    res.cork(() =>
      res
        .writeStatus(stopping ? '503 Service Unavailable' : '200 OK')
        .writeHeader('content-type', 'application/json')
        .end(JSON.stringify({ status: stopping ? 'stopping' : 'ok' })),
    );
  }

  /** Pings every socket, and lets each that went quiet drop what it kept for its frames. */
  private pingAll(): void {
    const now = Date.now();
    for (const conn of this.deps.sockets.all()) {
      this.guard('ping', () => {
        conn.ping();
        conn.forgetIdleState(now);
      });
    }
  }

  private guard(what: string, run: () => void): void {
    try {
      run();
    } catch (err) {
      this.deps.log.error({ err, what }, 'socket callback failed');
    }
  }
}
