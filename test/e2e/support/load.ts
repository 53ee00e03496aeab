import type { Client } from 'pg';
import { waitFor } from '@chat/testing';
import type { TestSocket } from './socket';

/** Requests each load client keeps in flight, unless told otherwise. */
export const LOAD_WINDOW = 8;

/** One acked `send_msg`: the message id the server gave and the relation it went to. */
export interface Ack {
  msgId: number;
  relation: number;
}

/**
 * Sends `send_msg` from some sockets without pause until stopped, keeping `window` requests
 * in flight per socket; a socket stops when the server closes it. Every acked id is kept,
 * overall (`acked`) and per socket in the order the acks came back (`acksBy`).
 */
export class Load {
  readonly acked = new Map<number, number>(); // msg id → relation
  /** Per socket (same index as the clients given), its acks in the order they arrived. */
  readonly acksBy: Ack[][];
  /** Requests that got no reply (timed out, or the socket closed first): not promised. */
  unanswered = 0;
  private stopped = false;
  private readonly done: Promise<void>;
  private n = 0;

  /**
   * `relations` is either the relations every socket sends to in turn, or, per socket
   * index, the relations that socket's account may send to.
   */
  constructor(
    clients: TestSocket[],
    relations: number[] | ((client: number) => number[]),
    tag: string,
    window = LOAD_WINDOW,
  ) {
    this.acksBy = clients.map(() => []);
    const relationsOf = typeof relations === 'function' ? relations : () => relations;
    this.done = Promise.all(
      clients.map(async (ws, c) => {
        const mine = relationsOf(c);
        // Requests left unanswered when the server closes the socket will never be.
        const closed = ws.closed.then(() => Promise.reject(new Error('socket closed')));
        closed.catch(() => undefined);
        const inFlight = new Set<Promise<void>>();
        while (!this.stopped && ws.isOpen) {
          const i = this.n++;
          const relation = mine[i % mine.length];
          const request = ws.request(
            'send_msg',
            {
              relation_id: relation,
              msg_content: `${tag} ${i}`,
              client_msg_id: `${tag}-${c}-${i}`,
            },
            20_000,
          );
          request.catch(() => undefined);
          const p = Promise.race([request, closed]).then(
            (reply) => {
              if (reply.status_code === 0) {
                const msgId = reply.data.msg_id as number;
                this.acked.set(msgId, relation);
                this.acksBy[c].push({ msgId, relation });
              }
            },
            () => void this.unanswered++, // no reply: not acked, so not promised
          );
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
          if (inFlight.size >= window) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
      }),
    ).then(() => undefined);
  }

  /** Resolves once at least `count` sends have been acked in total. */
  waitForAcks(count: number, what: string): Promise<unknown> {
    return waitFor(() => this.acked.size >= count, { timeoutMs: 60_000, what });
  }

  /** Stops sending and waits for every reply still due. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Resolves once every one of `ids` is a row of `message` (polled every 500 ms). */
export function waitUntilStored(db: Client, ids: number[], timeoutMs: number): Promise<unknown> {
  return waitFor(
    async () => {
      const { rows } = await db.query<{ n: string }>(
        'select count(*) as n from message where id = any($1::bigint[])',
        [ids],
      );
      return Number(rows[0].n) === ids.length;
    },
    { timeoutMs, intervalMs: 500, what: `all ${ids.length} acked messages in Postgres` },
  );
}
