import { checkTtlMs } from './cache';
import { ExpiringMap, type Clock } from './expiring-map';
import {
  checkTokenEpoch,
  isLaterTokenState,
  type TokenEpoch,
  type TokenEpochCache,
  type TokenEpochCacheOptions,
  type TokenEpochLoader,
  type TokenEpochUpdate,
  type TokenSubjectKind,
} from './token-epoch-cache';

/** Subject → cached state; `'deleted'` stands for a deleted subject (null is "absent"). */
export type MemoryTokenEpochState = ExpiringMap<TokenEpoch | 'deleted'>;

export function createMemoryTokenEpochState(now: Clock): MemoryTokenEpochState {
  return new ExpiringMap(now);
}

/** In-process token epochs (the embedded default), with the Redis adapter's semantics. */
export class MemoryTokenEpochCache implements TokenEpochCache {
  private readonly ttlMs: number;

  constructor(
    opts: TokenEpochCacheOptions,
    private readonly states: MemoryTokenEpochState,
  ) {
    this.ttlMs = checkTtlMs(opts.ttlMs);
  }

  async get(
    kind: TokenSubjectKind,
    id: number,
    load: TokenEpochLoader,
  ): Promise<TokenEpoch | null> {
    const cached = this.states.get(key(kind, id));
    if (cached !== undefined) return cached === 'deleted' ? null : cached;
    return this.keepLater(kind, id, checkTokenEpoch(await load()));
  }

  async advance(updates: TokenEpochUpdate[]): Promise<void> {
    for (const { kind, id, state } of updates) this.keepLater(kind, id, checkTokenEpoch(state));
  }

  private keepLater(kind: TokenSubjectKind, id: number, state: TokenEpoch | null) {
    const k = key(kind, id);
    const cached = this.states.get(k);
    if (cached !== undefined) {
      const current = cached === 'deleted' ? null : cached;
      if (!isLaterTokenState(state, current)) return current;
    }
    this.states.set(k, state ?? 'deleted', this.ttlMs);
    return state;
  }
}

const key = (kind: TokenSubjectKind, id: number) => `${kind}:${id}`;
