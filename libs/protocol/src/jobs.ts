import { z } from 'zod';
import { email } from './api/fields';

/**
 * Payload of a job on the `email` queue: a verification code mail (docs/api.md §6). The api
 * adds it typed as `EmailJob`; the mailer reads it back from the queue with
 * `emailJobSchema`, field by field, since a job outlives the process that wrote it.
 */
export const verificationCodeEmailJob = z.object({
  kind: z.literal('verification_code'),
  /** The address as the edge accepted it (`email` of docs/api.md). */
  to: email,
  code: z.string().min(1),
  /** How long the code stays valid, for the mail text. */
  validForMs: z.number().int().positive(),
});
export type VerificationCodeEmailJob = z.infer<typeof verificationCodeEmailJob>;

/** Every kind of `email` job, told apart by `kind`. */
export const emailJobSchema = z.discriminatedUnion('kind', [verificationCodeEmailJob]);
export type EmailJob = z.infer<typeof emailJobSchema>;
