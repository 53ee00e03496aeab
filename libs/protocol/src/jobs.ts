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

const jobId = z.number().int().positive();
const b64 = z.string().max(128);

/**
 * A message some members heard nothing of, having no socket online (docs/push-notifications.md):
 * the notifier adds it to the `push` queue; the worker finds their devices (skipping
 * do-not-disturb) and adds one `device` job for each.
 */
export const pushMessageJob = z.object({
  kind: z.literal('message'),
  relation_id: jobId,
  msg_id: jobId,
  seq: jobId,
  /** Null for system messages. */
  sender_id: jobId.nullable(),
  msg_type: z.enum(['text', 'file']),
  /** The start of the text (or the file URL), cut to the notification's length. */
  preview: z.string().max(1000),
  /** Members with no socket online when the message was routed. */
  accounts: z.array(jobId).min(1),
  /** Accounts mentioned in the message (`msg_extend.remind`). */
  mentioned: z.array(jobId),
});
export type PushMessageJob = z.infer<typeof pushMessageJob>;

/** One notification to one device, retried on its own. */
export const pushDeviceJob = z.object({
  kind: z.literal('device'),
  device_id: jobId,
  platform: z.enum(['fcm', 'apns', 'webpush']),
  token: z.string().min(1).max(4096),
  keys: z.object({ p256dh: b64, auth: b64 }).nullable(),
  title: z.string(),
  body: z.string(),
  collapse_key: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  data: z.record(z.string(), z.string()),
});
export type PushDeviceJob = z.infer<typeof pushDeviceJob>;

/** Every kind of `push` job, told apart by `kind`. */
export const pushJobSchema = z.discriminatedUnion('kind', [pushMessageJob, pushDeviceJob]);
export type PushJob = z.infer<typeof pushJobSchema>;
