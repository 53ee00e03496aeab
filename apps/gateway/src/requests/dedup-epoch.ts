import { randomUUID } from 'node:crypto';
import { ENTRY_KEYS, type Cache, type Clock } from '@chat/cache';
import type { Logger } from '@chat/logger';

/** The cache key of the epoch (under the cache's own `cache:` prefix). */
export const DEDUP_EPOCH_KEY = ENTRY_KEYS.sendDedupEpoch;

/**
 * Lifetime of the epoch key. It has one, like every cache key, but a long one: its expiry
 * counts as a loss (harmless, only a window of Postgres look-ups).
 */
const EPOCH_TTL_MS = 400 * 24 * 60 * 60 * 1000;

export interface DedupEpochDeps {
  cache: Pick<Cache, 'get' | 'setIfAbsent'>;
  /** `Gateway.SendDedupWindow`. */
  windowMs: number;
  /**
   * Whether a send with a `client_msg_id` may have been acked at or after `sinceMs`: one in
   * Postgres, or records the persister has not stored yet. When neither, nothing a lost
   * claim held can be asked about again, and no look-ups are needed (a fresh deployment).
   */
  sentSince(sinceMs: number): Promise<boolean>;
  log: Logger;
  now?: Clock;
}

/**
 * Tells the gateway when its dedup claims (`SendDedup`) can no longer be trusted: Redis was
 * flushed, restarted empty, or was empty when this process started. One random value, the
 * epoch, lives in the cache beside the claims; whoever finds it missing writes a new one.
 * A process that reads a value other than the one it knows has met a loss: every claim
 * made before may be gone, so for one dedup window from then on (`isSuspect`) a claim that
 * looks new is checked against Postgres before it is trusted.
 *
 * The epoch is read after each claim, on the same connection, so no claim is trusted past a
 * loss; the claims of one turn of the event loop share that read. It cannot tell a Redis that restarted
 * from an older snapshot (its epoch is still there) nor a key evicted under memory
 * pressure: Redis must not evict (`noeviction`), see docs/send-msg.md.
 */
export class DedupEpoch {
  /** The epoch this process trusts; undefined until `start`, or after it vanished again. */
  private known: string | undefined;
  /** Claims that look new are checked against Postgres until then (ms of `now`). */
  private suspectUntil = 0;
  private recovering?: Promise<void>;
  /** The read every claim of this turn of the event loop shares (see `read`). */
  private nextRead?: Promise<string | undefined>;
  private readonly now: Clock;

  constructor(private readonly deps: DedupEpochDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Reads the epoch at start. Present: the claims of the other gateways are intact and this
   * process made none yet. Missing: a fresh Redis, or one that lost its data while no
   * gateway ran; treated as a loss.
   */
  async start(): Promise<void> {
    const value = await this.deps.cache.get<string>(DEDUP_EPOCH_KEY);
    if (value !== undefined) this.known = value;
    else await this.recover();
  }

  /**
   * The epoch as the cache holds it after every claim issued so far: call it right after
   * issuing a claim. The claims of one turn of the event loop share one read, issued once
   * they all are (`setImmediate`), so on Redis's one connection it runs after each of them;
   * under load, many sends cost one extra command rather than one each.
   */
  read(): Promise<string | undefined> {
    this.nextRead ??= new Promise((resolve, reject) => {
      setImmediate(() => {
        this.nextRead = undefined;
        this.deps.cache.get<string>(DEDUP_EPOCH_KEY).then(resolve, reject);
      });
    });
    return this.nextRead;
  }

  /** Whether a claim taken just before `observed` was read can be trusted on its own. */
  isCurrent(observed: string | undefined): boolean {
    return observed !== undefined && observed === this.known;
  }

  /** Whether claims that look new must be checked against Postgres now. */
  isSuspect(): boolean {
    return this.now() < this.suspectUntil;
  }

  /**
   * After a claim read an epoch other than the known one: handles the loss (once, however
   * many claims noticed it), and resolves when `isSuspect` tells the truth again.
   */
  async settle(observed: string | undefined): Promise<void> {
    if (this.isCurrent(observed)) return;
    await this.recover();
  }

  private recover(): Promise<void> {
    this.recovering ??= (async () => {
      const { cache, windowMs, log } = this.deps;
      const lossAt = this.now();
      try {
        const mine = randomUUID();
        const written = await cache.setIfAbsent(DEDUP_EPOCH_KEY, mine, EPOCH_TTL_MS);
        // Someone else (another gateway) may have noticed first and written its own.
        const current = written ? mine : await cache.get<string>(DEDUP_EPOCH_KEY);
        let lost = true;
        try {
          lost = await this.deps.sentSince(lossAt - windowMs + 1);
        } catch (err) {
          log.warn({ err }, 'send dedup: could not tell whether claims were lost; assuming so');
        }
        if (lost) this.suspectUntil = Math.max(this.suspectUntil, lossAt + windowMs);
        // Known only now: a claim that meets the new value before this line waits here.
        this.known = current;
        if (lost) {
          log.warn(
            { until: new Date(this.suspectUntil).toISOString() },
            'send dedup: the cache lost its claims (Redis flushed or empty); resends are checked against Postgres until then',
          );
        } else {
          log.info('send dedup: new cache epoch; no recent client_msg_id to check');
        }
      } finally {
        this.recovering = undefined;
      }
    })();
    return this.recovering;
  }
}
