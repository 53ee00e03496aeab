/**
 * Baseline 1 of the bench: a bare uWebSockets.js relay with no storage, speaking just enough
 * of the chat protocol (docs/protocol.md) for the load generator: `auth` binds a socket to the
 * account its token names (`acct:<id>`, baselines/synthetic.ts), `send_msg` is checked,
 * acked with a fresh id and pushed to every other socket of the relation's members. It does
 * what a naive server does per frame (JSON.parse, field checks, JSON.stringify of the push)
 * and nothing else: no durability, no fan-out across processes. What the chat server does
 * beyond this is what its figures pay for.
 *
 *   PORT=9001 node --import tsx apps/loadgen/src/baselines/uws-relay.ts
 */
import uWS, { type WebSocket } from 'uWebSockets.js';
import { accountOfToken, membersOf, textMsgInfo } from './synthetic';

interface SocketData {
  accountId?: number;
}

interface Request {
  id?: unknown;
  event?: unknown;
  data?: { token?: unknown; relation_id?: unknown; msg_content?: unknown };
}

const port = Number(process.env.PORT ?? 9001);
const socketsOf = new Map<number, Set<WebSocket<SocketData>>>();
let nextMsgId = 1;

function reply(ws: WebSocket<SocketData>, id: number, code: number, msg: string, data?: object) {
  ws.send(JSON.stringify({ id, status_code: code, status_msg: msg, data }), false);
}

function onMessage(ws: WebSocket<SocketData>, raw: ArrayBuffer, isBinary: boolean): void {
  let req: Request;
  try {
    if (isBinary) throw new Error('binary');
    req = JSON.parse(Buffer.from(raw).toString('utf8')) as Request;
  } catch {
    ws.send(
      JSON.stringify({ event: 'error', data: { status_code: 1001, status_msg: 'bad frame' } }),
    );
    return;
  }
  const id = req.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return;
  const user = ws.getUserData();
  if (req.event === 'auth') {
    const accountId = accountOfToken(req.data?.token);
    if (accountId === undefined) return reply(ws, id, 2008, 'invalid token');
    user.accountId = accountId;
    let set = socketsOf.get(accountId);
    if (!set) socketsOf.set(accountId, (set = new Set()));
    set.add(ws);
    return reply(ws, id, 0, 'ok', { account_id: accountId, expired_at: null });
  }
  if (req.event !== 'send_msg') return reply(ws, id, 1001, 'unknown event');
  if (user.accountId === undefined) return reply(ws, id, 2007, 'not authenticated');
  const members = membersOf(req.data?.relation_id);
  const content = req.data?.msg_content;
  if (!members || typeof content !== 'string' || content.length < 1 || content.length > 1000) {
    return reply(ws, id, 1001, 'relation_id and msg_content (1–1000 characters) are required');
  }
  if (!members.includes(user.accountId)) return reply(ws, id, 2009, 'not a member');
  const msgId = nextMsgId++;
  const createAt = new Date().toISOString();
  reply(ws, id, 0, 'ok', { msg_id: msgId, create_at: createAt });
  const push = JSON.stringify({
    event: 'send_msg',
    data: {
      msg_info: textMsgInfo(msgId, user.accountId, req.data?.relation_id, content, createAt),
    },
  });
  for (const member of members) {
    for (const peer of socketsOf.get(member) ?? []) if (peer !== ws) peer.send(push, false);
  }
}

uWS
  .App()
  .ws<SocketData>('/ws', {
    compression: uWS.DISABLED,
    maxPayloadLength: 64 * 1024,
    idleTimeout: 120,
    upgrade: (res, req, context) =>
      res.upgrade<SocketData>(
        {},
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      ),
    message: onMessage,
    close: (ws) => {
      const accountId = ws.getUserData().accountId;
      if (accountId !== undefined) socketsOf.get(accountId)?.delete(ws);
    },
  })
  .listen('127.0.0.1', port, (listening) => {
    if (!listening) {
      process.stderr.write(`uws-relay: cannot listen on 127.0.0.1:${port}\n`);
      process.exit(1);
    }
    process.stdout.write(`uws-relay listening on ${port}\n`);
  });

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
