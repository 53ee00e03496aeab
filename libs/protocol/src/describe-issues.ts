import type { z } from 'zod';

/**
 * The detail of a 1001 answer (docs/errors.md): each failing field named by its path, at
 * most five, e.g. `email: is not a valid email address; code: must be 6 digits`. `root`
 * names a failure of the whole value (`input` for a REST request, `data` for a frame).
 */
export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : root}: ${i.message}`)
    .join('; ');
}
