import http from 'node:http';
import https from 'node:https';

/**
 * Reactions in the load mix (docs/features.md "Reactions"): which messages get one, who
 * reacts, and the REST call that does it.
 */

/** What the reactions pick from: emoji graphemes and the words the server takes. */
export const REACTION_EMOJI = ['👍', '😂', '🎉', '+1', 'ok'] as const;
/** Share of added reactions that are taken back later (`state: false`). */
export const REMOVE_SHARE = 0.25;
/** How long after its add a reaction is taken back. */
export const REMOVE_AFTER_MS = 500;

/** The reaction that follows one message: who reacts, with what, and whether it is removed. */
export interface ReactionChoice {
  /** The socket whose account reacts (the sender's, or another member's). */
  reactor: number;
  emoji: string;
  remove: boolean;
}

/** A 32-bit integer hash (the finaliser of MurmurHash3): well mixed, cheap. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_32 = 2 ** 32;

/**
 * Whether message `seq` of socket `sender` is followed by a reaction, and which. Decided by
 * a hash of the run, the sender and the sequence number, so every socket of the
 * conversation, in any worker, reaches the same answer without a word between them: the
 * reactor reacts when it sees the message (its ack at the sender, its delivery elsewhere),
 * and nobody else does. `conversation` is every socket of the relation's members, ascending.
 */
export function reactionFor(
  runId: string,
  ratio: number,
  conversation: readonly number[],
  sender: number,
  seq: number,
): ReactionChoice | undefined {
  if (ratio <= 0 || conversation.length === 0) return undefined;
  const seed = Number.parseInt(runId.slice(0, 8), 16) | 0;
  const h = mix(seed ^ Math.imul(sender + 1, 0x9e3779b1) ^ mix(seq + 0x632be5ab));
  if (h / TWO_32 >= ratio) return undefined;
  const h2 = mix(h ^ 0x1b873593);
  const h3 = mix(h2 + 0x2545f491);
  return {
    reactor: conversation[h2 % conversation.length],
    emoji: REACTION_EMOJI[mix(h3) % REACTION_EMOJI.length],
    remove: h3 / TWO_32 < REMOVE_SHARE,
  };
}

/** The reply's `status_code`, or what kept the call from having one: `timeout`, `http`. */
export type ReactionOutcome = number | 'timeout' | 'http';

/**
 * `PUT /api/msg/update/reaction {id, emoji, state}` over keep-alive connections.
 *
 * Not the SDK's `ChatApi` (which the set-up uses): it calls the global `fetch` (undici),
 * which on this machine cost about four times the CPU of `node:http` with a keep-alive agent
 * per call: 10,000 calls, 32 in flight, to a local server answering an envelope took ≈ 380 µs
 * of CPU each through `ChatApi` or a bare `fetch` against ≈ 80 µs here (client and server in
 * one process). The load client shares the machine with the system it measures.
 */
export class ReactionClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    apiUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(`${apiUrl.replace(/\/+$/, '')}/api/msg/update/reaction`);
    const secure = this.url.protocol === 'https:';
    this.agent = new (secure ? https : http).Agent({ keepAlive: true, maxSockets: 256 });
  }

  react(token: string, id: number, emoji: string, state: boolean): Promise<ReactionOutcome> {
    const body = JSON.stringify({ id, emoji, state });
    const request = this.url.protocol === 'https:' ? https.request : http.request;
    return new Promise<ReactionOutcome>((resolve) => {
      let done = false;
      const settle = (outcome: ReactionOutcome) => {
        if (done) return;
        done = true;
        resolve(outcome);
      };
      const req = request(
        this.url,
        {
          method: 'PUT',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            Authorization: `Bearer ${token}`,
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('error', () => settle('http'));
          res.on('end', () => {
            try {
              const code = (JSON.parse(text) as { status_code?: unknown }).status_code;
              settle(typeof code === 'number' ? code : 'http');
            } catch {
              settle('http');
            }
          });
        },
      );
      req.on('timeout', () => {
        settle('timeout');
        req.destroy();
      });
      req.on('error', () => settle('http'));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
