/**
 * Baseline 2 of the bench: the server a team writes in an afternoon. Socket.IO for the
 * sockets, a `pg` Pool of 10 connections, one `INSERT` per message into its own table, the
 * ack once the row is in, then an emit to the rooms of the relation's members (every socket
 * but the sender's). Accounts and relations are the synthetic ones of baselines/synthetic.ts,
 * checked in the handshake and per message as such a server would check a session.
 *
 *   PORT=9002 DATABASE_URL=postgres://…/fresh_db node --import tsx apps/loadgen/src/baselines/socketio-server.ts
 */
import { createServer } from 'node:http';
import { Pool } from 'pg';
import { Server } from 'socket.io';
import { accountOfToken, membersOf, textMsgInfo } from './synthetic';

interface SendMsg {
  relation_id?: unknown;
  msg_content?: unknown;
  client_msg_id?: unknown;
}

type Ack = (reply: { status_code: number; status_msg: string; data?: object }) => void;

const port = Number(process.env.PORT ?? 9002);
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

async function main(): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS message (
       id bigserial PRIMARY KEY,
       relation_id bigint NOT NULL,
       account_id bigint NOT NULL,
       msg_content text NOT NULL,
       client_msg_id text,
       create_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const http = createServer();
  const io = new Server(http, { serveClient: false });

  io.use((socket, next) => {
    const accountId = accountOfToken((socket.handshake.auth as { token?: unknown }).token);
    if (accountId === undefined) return next(new Error('invalid token'));
    socket.data.accountId = accountId;
    next();
  });

  io.on('connection', (socket) => {
    const accountId = socket.data.accountId as number;
    void socket.join(`a${accountId}`);
    socket.on('send_msg', async (data: SendMsg, ack: Ack) => {
      if (typeof ack !== 'function') return;
      const members = membersOf(data?.relation_id);
      const content = data?.msg_content;
      if (!members || typeof content !== 'string' || content.length < 1 || content.length > 1000) {
        return ack({ status_code: 1001, status_msg: 'bad request' });
      }
      if (!members.includes(accountId))
        return ack({ status_code: 2009, status_msg: 'not a member' });
      try {
        const { rows } = await pool.query<{ id: string; create_at: Date }>(
          `INSERT INTO message (relation_id, account_id, msg_content, client_msg_id)
           VALUES ($1, $2, $3, $4) RETURNING id, create_at`,
          [data.relation_id, accountId, content, data.client_msg_id ?? null],
        );
        const msgId = Number(rows[0].id);
        const createAt = rows[0].create_at.toISOString();
        ack({ status_code: 0, status_msg: 'ok', data: { msg_id: msgId, create_at: createAt } });
        socket.to(members.map((m) => `a${m}`)).emit('send_msg', {
          msg_info: textMsgInfo(msgId, accountId, data.relation_id, content, createAt),
        });
      } catch (err) {
        ack({ status_code: 1003, status_msg: (err as Error).message });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => resolve());
  });
  process.stdout.write(`socketio-server listening on ${port}\n`);

  const stop = () => {
    void io.close();
    void pool.end().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`socketio-server: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
