/** How to make a key that passes, named in every refusal. */
export const KEY_FIX =
  'generate one with `openssl rand -base64 32` (or `node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))"`)';

/** Values published in this repository's files and docs, and the usual stand-ins. */
const PLACEHOLDERS = [
  'replace-with-at-least-32-random-characters',
  'replace-with',
  'change-me',
  'changeme',
  'your-secret',
  'secret-key',
];

/** Estimated bits of a key: its length times the entropy of its own characters. */
export function estimatedKeyBits(key: string): number {
  const counts = new Map<string, number>();
  for (const ch of key) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...key].length;
  let perChar = 0;
  for (const c of counts.values()) perChar -= (c / n) * Math.log2(c / n);
  return perChar * n;
}

/** Below this estimate a key is refused (32 random hex characters estimate 85–125). */
export const MIN_KEY_BITS = 64;
/** Keys repeating a few characters (`kkkk…`, `abab…`) are refused whatever their length. */
const MIN_DISTINCT_CHARACTERS = 8;

/** `abcabcab…`: the key repeats a part of at most half its length. */
function isRepetition(key: string): boolean {
  for (let period = 1; period <= key.length / 2; period++) {
    if (key.slice(period) === key.slice(0, key.length - period)) return true;
  }
  return false;
}

/**
 * Why a token signing key must not be used, or undefined when it may: a known placeholder
 * (a deployment that followed the example would sign tokens with a published key), or too
 * little variety to be random.
 */
export function weakKeyReason(key: string): string | undefined {
  const lower = key.toLowerCase();
  const placeholder = PLACEHOLDERS.find((p) => lower.includes(p));
  if (placeholder) return `is a placeholder ("${placeholder}"), not a secret: ${KEY_FIX}`;
  if (
    new Set(key).size < MIN_DISTINCT_CHARACTERS ||
    estimatedKeyBits(key) < MIN_KEY_BITS ||
    isRepetition(key)
  ) {
    return `is too predictable to sign tokens (about ${Math.round(estimatedKeyBits(key))} bits; at least ${MIN_KEY_BITS}): ${KEY_FIX}`;
  }
  return undefined;
}
