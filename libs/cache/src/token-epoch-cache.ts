/** Whose tokens: a user's (user tokens) or an account's (account tokens). */
export type TokenSubjectKind = 'user' | 'account';

/** A subject's token epoch and its owner (the user of an account; a user owns itself). */
export interface TokenEpoch {
  epoch: number;
  owner: number;
}

/** Reads a subject's state from the database (the source of truth); null: it is deleted. */
export type TokenEpochLoader = () => Promise<TokenEpoch | null>;

/** A committed state to record: `state` null means the subject was deleted. */
export interface TokenEpochUpdate {
  kind: TokenSubjectKind;
  id: number;
  state: TokenEpoch | null;
}

export interface TokenEpochCacheOptions {
  /**
   * A cached state is read from the database again this long after it was stored: the
   * bound on how long a lost update could leave an ended token accepted.
   */
  ttlMs: number;
}

/**
 * Token epochs of users and accounts (docs/data-model.md §4 style: the database holds them, the cache
 * mirrors them), so that checking a token on every request costs a cache read, not a query.
 *
 * Epochs only move forward and a deleted subject never comes back (ids are not reused), so
 * every write keeps the later of what is cached and what is written ("deleted" being later
 * than any epoch). Loads and updates may therefore race in any order: a state read before a
 * change can never replace the change once it was recorded.
 */
export interface TokenEpochCache {
  /**
   * The subject's state. On a miss `load` reads it and it is cached; the answer is the later
   * of what was loaded and what an update recorded meanwhile.
   */
  get(kind: TokenSubjectKind, id: number, load: TokenEpochLoader): Promise<TokenEpoch | null>;
  /**
   * Records states already committed to the database (call after the commit). A state
   * earlier than the cached one changes nothing.
   */
  advance(updates: TokenEpochUpdate[]): Promise<void>;
}

/** Whether state `a` is later than `b`: deleted is later than any epoch. */
export function isLaterTokenState(a: TokenEpoch | null, b: TokenEpoch | null): boolean {
  if (b === null) return false;
  if (a === null) return true;
  return a.epoch > b.epoch;
}

/** A state as given, checked: epoch a whole number ≥ 0, owner a positive id. */
export function checkTokenEpoch(state: TokenEpoch | null): TokenEpoch | null {
  if (state === null) return null;
  if (!Number.isSafeInteger(state.epoch) || state.epoch < 0) {
    throw new TypeError(`token epochs: bad epoch ${state.epoch}`);
  }
  if (!Number.isSafeInteger(state.owner) || state.owner < 1) {
    throw new TypeError(`token epochs: bad owner ${state.owner}`);
  }
  return { epoch: state.epoch, owner: state.owner };
}
