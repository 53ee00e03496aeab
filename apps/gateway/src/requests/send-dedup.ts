import type { Cache } from '@chat/cache';
import { AppError, ErrorCode } from '@chat/protocol';

/** What an ack carries (docs/protocol.md §3.2), and what a resend gets back. */
export interface SendAck {
  msg_id: number;
  create_at: string;
}

export interface SendDedupOptions {
  /** How long an ack is remembered (docs/data-model.md §4: 24 h). */
  ackTtlMs: number;
  /** How long a claim holds when its owner dies before finishing. */
  claimTtlMs: number;
  /** How long a resend waits for a send in progress with the same key before giving up. */
  waitMs: number;
  pollMs: number;
}

export const DEFAULT_SEND_DEDUP: SendDedupOptions = {
  ackTtlMs: 24 * 60 * 60 * 1000,
  claimTtlMs: 30_000,
  waitMs: 10_000,
  pollMs: 25,
};

/** A send that holds the key: it finishes with the ack, or releases the key on failure. */
export interface SendClaim {
  complete(ack: SendAck): Promise<void>;
  release(): Promise<void>;
}

export type DedupResult =
  { kind: 'original'; ack: SendAck } | { kind: 'claimed'; claim: SendClaim };

const CLAIM_PREFIX = 'claim:';

/**
 * Idempotency of `send_msg` by (account, `client_msg_id`) (docs/protocol.md §3.2, docs/data-model.md §4).
 * Before producing, a send claims the key with `setIfAbsent` (reading it only when taken), so of concurrent sends with
 * one key, even from different sockets or gateways, exactly one produces; the others wait
 * for its ack and answer with the same id. The ack is stored only after the bus accepted
 * the record; a failed publish releases the key, so a retry produces again. The
 * persister's unique index on (account_id, client_msg_id) remains the durable guard if
 * the cache forgets.
 */
export class SendDedup {
  constructor(
    private readonly cache: Cache,
    private readonly opts: SendDedupOptions = DEFAULT_SEND_DEDUP,
  ) {}

  async claim(accountId: number, clientMsgId: string, owner: string): Promise<DedupResult> {
    const key = `send-dedup:${accountId}:${clientMsgId}`;
    const holder = `${CLAIM_PREFIX}${owner}`;
    const deadline = Date.now() + this.opts.waitMs;
    for (;;) {
      // Claim first: a new key (the common case) costs one round trip, not a read and a write.
      if (await this.cache.setIfAbsent(key, holder, this.opts.claimTtlMs)) {
        return {
          kind: 'claimed',
          claim: {
            complete: (ack) => this.cache.set(key, ack, this.opts.ackTtlMs),
            release: async () => void (await this.cache.releaseLock(key, holder)),
          },
        };
      }
      const entry = await this.cache.get<SendAck | string>(key);
      if (entry !== undefined && typeof entry === 'object') return { kind: 'original', ack: entry };
      // Gone between the two calls (released or expired): claim again.
      if (entry === undefined) continue;
      if (Date.now() >= deadline) {
        throw new AppError(
          ErrorCode.Timeout,
          'a send with this client_msg_id is still in progress; send it again',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.opts.pollMs));
    }
  }
}
