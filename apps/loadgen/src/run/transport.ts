import { io } from 'socket.io-client';
import WebSocket from 'ws';

/**
 * How a load socket talks to the server: `ws` is the chat protocol (docs/protocol.md: one JSON
 * object per text frame, `auth` frame, replies matched by `id`); `socketio` is the same
 * requests as Socket.IO events with acknowledgement callbacks, for the Socket.IO baseline.
 *
 * The `ws` sockets are not the SDK's `ChatSocket` (libs/client), which the set-up's REST
 * calls and the end-to-end tests use: the load generator shares the machine with the system
 * it measures, and per message the SDK's request (a promise and a timer each, the frame built
 * with `JSON.stringify`, its own ids) cost about a quarter more client CPU in
 * `npm run bench -- --systems standalone --rate 1000 --duration 10 --idle-sockets 500`
 * (≈ 240 µs per delivered message against ≈ 190 here). The hot path below writes the frame by
 * hand and hands replies to the worker by the request id it chose (its sequence number).
 */
export type TransportKind = 'ws' | 'socketio';

export interface ConnectionEvents {
  /**
   * The reply to the `send_msg` with request id `id`: its status code (0 is the ack), the
   * stored message's `msg_id` on an ack, and, on a 1004 refusal, the server's
   * `retry_after_ms` hint when it gave one.
   */
  onReply(id: number, statusCode: number, retryAfterMs?: number, msgId?: number): void;
  /** The `msg_content` and id of a pushed `send_msg`. */
  onPush(content: string, msgId?: number): void;
  /** A `msg_reaction` push (chat protocol only). */
  onReaction?(push: ReactionPush): void;
  /** The connection closed without being asked to (close code, or 1006 when none). */
  onClose(code: number): void;
}

/** The data of a `msg_reaction` push (docs/protocol.md, pushes). */
export interface ReactionPush {
  msg_id: number;
  account_id: number;
  emoji: string;
  state: boolean;
}

/** One authenticated connection of one account. */
export interface Connection {
  sendMsg(id: number, relationId: number, content: string, clientMsgId?: string): void;
  /** A `typing` start in the conversation (chat protocol only); its reply is not waited for. */
  sendTyping?(relationId: number): void;
  /** Closes politely; resolves once closed (forcibly after a grace period). */
  close(): Promise<void>;
}

/** Request ids from here up are control frames (auth); below, a send's id is its seq + 1. */
const CONTROL_ID = 2 ** 50;
const CLOSE_GRACE_MS = 2000;

/** Opens a connection to `url` and authenticates it with `token`; rejects after `timeoutMs`. */
export function openConnection(
  kind: TransportKind,
  url: string,
  token: string,
  events: ConnectionEvents,
  timeoutMs: number,
): Promise<Connection> {
  return kind === 'ws'
    ? openWs(url, token, events, timeoutMs)
    : openSocketIo(url, token, events, timeoutMs);
}

interface Frame {
  id?: unknown;
  event?: unknown;
  status_code?: number;
  status_msg?: string;
  data?: {
    msg_info?: { msg_content?: unknown; id?: unknown };
    msg_id?: unknown;
    retry_after_ms?: unknown;
  };
}

const numberOr = (v: unknown) => (typeof v === 'number' ? v : undefined);

function openWs(
  url: string,
  token: string,
  events: ConnectionEvents,
  timeoutMs: number,
): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let settled = false;
    let closing = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail('no auth reply in time'), timeoutMs);
    ws.on('error', (err) => fail(err.message));
    ws.on('open', () =>
      ws.send(JSON.stringify({ id: CONTROL_ID, event: 'auth', data: { token } })),
    );
    ws.on('close', (code: number) => {
      if (!settled) fail(`closed with ${code} while connecting`);
      else if (!closing) events.onClose(code);
    });
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      let frame: Frame;
      try {
        frame = JSON.parse(raw.toString('utf8')) as Frame;
      } catch {
        return;
      }
      if (typeof frame.id === 'number') {
        if (frame.id < CONTROL_ID) {
          events.onReply(
            frame.id,
            frame.status_code ?? -1,
            numberOr(frame.data?.retry_after_ms),
            numberOr(frame.data?.msg_id),
          );
        } else if (!settled) {
          if (frame.status_code !== 0) {
            fail(`auth answered ${frame.status_code} ${frame.status_msg ?? ''}`);
            return;
          }
          settled = true;
          clearTimeout(timer);
          resolve(connection);
        }
        return;
      }
      if (frame.event === 'send_msg') {
        const info = frame.data?.msg_info;
        if (typeof info?.msg_content === 'string') {
          events.onPush(info.msg_content, numberOr(info.id));
        }
      } else if (frame.event === 'msg_reaction' && events.onReaction) {
        events.onReaction(frame.data as unknown as ReactionPush);
      }
    });
    const connection: Connection = {
      sendMsg(id, relationId, content, clientMsgId) {
        // Built by hand: the content is plain ASCII without quotes, and this is the hot path.
        const key = clientMsgId ? `,"client_msg_id":"${clientMsgId}"` : '';
        ws.send(
          `{"id":${id},"event":"send_msg","data":{"relation_id":${relationId},"msg_content":"${content}"${key}}}`,
        );
      },
      sendTyping(relationId) {
        ws.send(
          `{"id":${CONTROL_ID + 1},"event":"typing","data":{"relation_id":${relationId},"state":true}}`,
        );
      },
      close: () =>
        new Promise<void>((done) => {
          closing = true;
          if (ws.readyState === WebSocket.CLOSED) return done();
          const t = setTimeout(() => {
            ws.terminate();
            done();
          }, CLOSE_GRACE_MS);
          ws.once('close', () => {
            clearTimeout(t);
            done();
          });
          ws.close(1000);
        }),
    };
  });
}

interface SocketIoReply {
  status_code?: number;
}

function openSocketIo(
  url: string,
  token: string,
  events: ConnectionEvents,
  timeoutMs: number,
): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    // WebSocket from the start (no long-polling first), one engine per socket (forceNew:
    // otherwise every socket of the worker would share one connection), no reconnects.
    const socket = io(url, {
      transports: ['websocket'],
      auth: { token },
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
    });
    let settled = false;
    let closing = false;
    socket.once('connect', () => {
      settled = true;
      resolve(connection);
    });
    socket.once('connect_error', (err: Error) => {
      if (settled) return;
      settled = true;
      socket.close();
      reject(new Error(err.message));
    });
    socket.on('disconnect', (reason: string) => {
      if (settled && !closing) events.onClose(reason === 'io server disconnect' ? 1000 : 1006);
    });
    socket.on('send_msg', (data: Frame['data']) => {
      const info = data?.msg_info;
      if (typeof info?.msg_content === 'string') {
        events.onPush(info.msg_content, numberOr(info.id));
      }
    });
    const connection: Connection = {
      sendMsg(id, relationId, content, clientMsgId) {
        socket.emit(
          'send_msg',
          {
            relation_id: relationId,
            msg_content: content,
            ...(clientMsgId ? { client_msg_id: clientMsgId } : {}),
          },
          (reply: SocketIoReply) => events.onReply(id, reply?.status_code ?? -1),
        );
      },
      close: () =>
        new Promise<void>((done) => {
          closing = true;
          if (socket.disconnected) return done();
          const t = setTimeout(done, CLOSE_GRACE_MS);
          socket.once('disconnect', () => {
            clearTimeout(t);
            done();
          });
          socket.disconnect();
        }),
    };
  });
}
