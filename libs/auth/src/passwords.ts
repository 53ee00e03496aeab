import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id of @node-rs/argon2, a const enum that isolated modules cannot read.
const ARGON2ID = 2;

/**
 * argon2id with the library's defaults (19 MiB memory, 2 passes, OWASP's minimum). The
 * hash string records its parameters, so they can be raised later without a migration
 * (docs/data-model.md §2.1).
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID });
}

/** False for a wrong password and for a malformed stored hash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
