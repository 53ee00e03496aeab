import { ENTRY_KEYS, type Cache, type Clock } from '@chat/cache';
import { AppError, ErrorCode } from '@chat/protocol';
import type { DedupEpoch } from './dedup-epoch';
import type { SentLookup } from './sent-lookup';

/** What an ack carries (docs/protocol.md §3.2), and what a resend gets back. */
export interface SendAck {
  msg_id: number;
  create_at: string;
}

export interface SendDedupOptions {
  /**
   * `Gateway.SendDedupWindow`: how long a `client_msg_id` stays taken after its send; the
   * ack is remembered that long, and a resend within it gets the original back.
   */
  windowMs: number;
  /** How long a claim holds when its owner dies before finishing. */
  claimTtlMs: number;
  /** How long a resend waits for a send in progress with the same key before giving up. */
  waitMs: number;
  pollMs: number;
}

export const DEFAULT_SEND_DEDUP: SendDedupOptions = {
  windowMs: 24 * 60 * 60 * 1000,
  claimTtlMs: 30_000,
  waitMs: 10_000,
  pollMs: 25,
};

export interface SendDedupDeps {
  cache: Pick<Cache, 'get' | 'set' | 'setIfAbsent' | 'releaseLock'>;
  /** Tells when claims may have been lost (`DedupEpoch`). */
  epoch: Pick<DedupEpoch, 'read' | 'isCurrent' | 'isSuspect' | 'settle'>;
  /** Finds the original of a resend in Postgres while claims may have been lost. */
  sent: Pick<SentLookup, 'find'>;
  now?: Clock;
}

/**
 * A send that holds the key. It finishes with the ack (`complete`); or it frees the key when
 * it failed before publishing (`release`); or, when the publish failed and the bus may hold
 * the record all the same, it binds the key to the record's id (`unsure`), so that the
 * client's resend publishes that id again instead of a new one.
 */
export interface SendClaim {
  complete(ack: SendAck): Promise<void>;
  release(): Promise<void>;
  unsure(ack: SendAck): Promise<void>;
}

export type DedupResult =
  | { kind: 'original'; ack: SendAck }
  /** `reuse`: an earlier attempt's publish failed after it may have been written: its id. */
  | { kind: 'claimed'; claim: SendClaim; reuse?: SendAck };

/** The key after a publish that failed but may have written the record (see `SendClaim.unsure`). */
interface UnsureEntry extends SendAck {
  unsure: true;
}

const CLAIM_PREFIX = 'claim:';

/**
 * Idempotency of `send_msg` by (account, `client_msg_id`) within the dedup window
 * (docs/send-msg.md). Before producing, a send claims the key with `setIfAbsent` (reading
 * it only when taken), so of concurrent sends with one key, even from different sockets or
 * gateways, exactly one produces; the others wait for its ack and answer with the same id.
 * The ack is stored for the window only after the bus accepted the record. A failed publish
 * is ambiguous: the broker may have written the record and lost only the answer (seen after
 * a broker restart, where the idempotent producer answers "out of order sequence number"
 * for a record an earlier attempt wrote). So the key stays bound to the record's id for the
 * window, and a retry publishes the same id again: the persister stores an id once, so the
 * message is stored once whichever attempts reached the bus, under the id the ack carries.
 * A key whose window has passed is free: its
 * reuse is a new message, which the persister stores like any other.
 *
 * The cache is the only record of recent keys while Redis is intact: the normal path costs
 * the claim, a read of the epoch shared by the claims of one moment, and nothing in Postgres. When the
 * epoch says the cache lost its claims (`DedupEpoch`), then for one window a claim that
 * looks new is checked against the stored messages of that account and key within the
 * window; a hit is answered as a resend and written back to the cache.
 */
export class SendDedup {
  private readonly now: Clock;

  constructor(
    private readonly deps: SendDedupDeps,
    private readonly opts: SendDedupOptions = DEFAULT_SEND_DEDUP,
  ) {
    this.now = deps.now ?? Date.now;
  }

  async claim(accountId: number, clientMsgId: string, owner: string): Promise<DedupResult> {
    const { cache, epoch } = this.deps;
    const key = ENTRY_KEYS.sendDedup(accountId, clientMsgId);
    const holder = `${CLAIM_PREFIX}${owner}`;
    const deadline = this.now() + this.opts.waitMs;
    for (;;) {
      // Claim first: a new key (the common case) costs one round trip, not a read and a write.
      // The epoch is read after the claim on the same connection (a read shared with the
      // other claims of this turn): if it is the known one, Redis had not lost its data when
      // the claim was taken.
      const taking = cache.setIfAbsent(key, holder, this.opts.claimTtlMs);
      const [taken, observed] = await Promise.all([taking, epoch.read()]);
      if (taken) {
        const claim: SendClaim = {
          complete: (ack) => cache.set(key, ack, this.opts.windowMs),
          release: async () => void (await cache.releaseLock(key, holder)),
          unsure: (ack) => this.bindUnsure(key, ack),
        };
        if (epoch.isCurrent(observed) && !epoch.isSuspect()) return { kind: 'claimed', claim };
        const original = await this.storedOriginal(key, accountId, clientMsgId, observed).catch(
          async (err: unknown) => {
            await claim.release().catch(() => undefined);
            throw err;
          },
        );
        return original ? { kind: 'original', ack: original } : { kind: 'claimed', claim };
      }
      const entry = await cache.get<SendAck | UnsureEntry | string>(key);
      if (entry !== undefined && typeof entry === 'object') {
        if (!('unsure' in entry)) return { kind: 'original', ack: entry };
        // Concurrent resends of an unsure id may each publish it: the persister keeps one.
        const reuse: SendAck = { msg_id: entry.msg_id, create_at: entry.create_at };
        const claim: SendClaim = {
          complete: (ack) => cache.set(key, ack, this.opts.windowMs),
          // Nothing of this attempt was published, but the earlier one may have been: the
          // key keeps its id.
          release: () => Promise.resolve(),
          unsure: (ack) => this.bindUnsure(key, ack),
        };
        return { kind: 'claimed', claim, reuse };
      }
      // Gone between the two calls (released or expired): claim again.
      if (entry === undefined) continue;
      if (this.now() >= deadline) {
        throw new AppError(
          ErrorCode.Timeout,
          'a send with this client_msg_id is still in progress; send it again',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.opts.pollMs));
    }
  }

  private bindUnsure(key: string, ack: SendAck): Promise<void> {
    const entry: UnsureEntry = { msg_id: ack.msg_id, create_at: ack.create_at, unsure: true };
    return this.deps.cache.set(key, entry, this.opts.windowMs);
  }

  /**
   * For a claim taken while the cache may have lost older ones: the original message of
   * this key within the window, from Postgres, put back in the cache for the rest of its
   * window; undefined when there is none (the claim stands).
   */
  private async storedOriginal(
    key: string,
    accountId: number,
    clientMsgId: string,
    observed: string | undefined,
  ): Promise<SendAck | undefined> {
    const { cache, epoch, sent } = this.deps;
    await epoch.settle(observed);
    if (!epoch.isSuspect()) return undefined;
    const now = this.now();
    // Within the window: younger than it, as a cache entry written at the ack would still be.
    const original = await sent.find({ accountId, clientMsgId }, now - this.opts.windowMs + 1);
    if (!original) return undefined;
    const leftMs = Date.parse(original.create_at) + this.opts.windowMs - now;
    // Replaces this send's own claim: concurrent resends waiting on it read the original.
    await cache.set(key, original, Math.max(1, leftMs));
    return original;
  }
}
