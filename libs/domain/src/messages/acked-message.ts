/**
 * A message acked on a socket a moment ago may not be stored yet: in the distributed
 * topology the ack means the bus holds the record, and the persister stores it a moment
 * later (docs/architecture.md). So wherever a client names a message by an id it got in an
 * ack (a reply, an edit, a reaction, a revoke, a pin), a missing id that is recent is looked
 * up again for about a second before it counts as missing. An old missing id, or one from
 * further ahead than any clock runs, is answered at once: looking for it would only hold the
 * request.
 */

/** A missing message younger than this may still be on its way from an ack. */
export const ACKED_MESSAGE_RECENT_MS = 60_000;
/**
 * How far ahead of this clock another node's ids may be. An id further ahead was made by no
 * node, so it is not looked for.
 */
export const MAX_CLOCK_AHEAD_MS = 5000;
/** The waits between the looks: about a second in all. */
export const ACKED_MESSAGE_RETRY_DELAYS_MS: readonly number[] = [50, 150, 300, 500];

/**
 * `find()`, and while it finds nothing and the id's time (`idTime`) is recent, `find()`
 * again after each of `delaysMs`. Null when the message is still missing.
 */
export async function findAckedMessage<T>(
  idTime: Date,
  find: () => Promise<T | null>,
  delaysMs: readonly number[] = ACKED_MESSAGE_RETRY_DELAYS_MS,
): Promise<T | null> {
  let found = await find();
  const ageMs = Date.now() - idTime.getTime();
  // Written so that an id past any date (an invalid time, NaN) is not recent either.
  const recent = ageMs > -MAX_CLOCK_AHEAD_MS && ageMs < ACKED_MESSAGE_RECENT_MS;
  if (found || !recent) return found;
  for (const delayMs of delaysMs) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    found = await find();
    if (found) return found;
  }
  return null;
}
