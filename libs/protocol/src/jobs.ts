/** Payload of a job on the `email` queue: a verification code mail (docs/api.md §6). */
export interface VerificationCodeEmailJob {
  kind: 'verification_code';
  to: string;
  code: string;
  /** How long the code stays valid, for the mail text. */
  validForMs: number;
}

export type EmailJob = VerificationCodeEmailJob;
