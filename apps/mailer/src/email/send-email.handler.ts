import { type JobHandler } from '@chat/jobs';
import { type Logger } from '@chat/logger';
import { renderVerificationEmail, type Mailer } from '@chat/mail';
import { AppError, ErrorCode, type EmailJob } from '@chat/protocol';

/**
 * Runs one job of the `email` queue (docs/api.md §6): renders the mail and sends it. A mail
 * server failure propagates as the mailer's InfrastructureError, so the queue retries it
 * when `retryable`; a job this handler cannot understand fails at once (a non-retryable
 * AppError), since no retry would change it. Never logs the code itself.
 */
export function sendEmailHandler(
  mailer: Mailer,
  appName: string,
  log: Logger,
): JobHandler<EmailJob> {
  return async (job) => {
    const email: unknown = job.payload;
    if (!isVerificationCodeJob(email)) {
      const kind = (email as { kind?: unknown } | null)?.kind;
      log.error({ jobId: job.id, job: job.name, kind }, 'unknown email job, not sending');
      throw new AppError(
        ErrorCode.ServerError,
        `email job ${job.id}: unknown kind ${String(kind)}`,
      );
    }
    const sent = await mailer.send({ to: email.to, ...renderVerificationEmail(email, appName) });
    log.info(
      { jobId: job.id, attempt: job.attempt, kind: email.kind, messageId: sent.messageId },
      'email sent',
    );
  };
}

/** Jobs come from Redis: checked field by field rather than trusted to match the type. */
function isVerificationCodeJob(v: unknown): v is EmailJob {
  const j = v as Partial<EmailJob> | null;
  return (
    typeof j === 'object' &&
    j !== null &&
    j.kind === 'verification_code' &&
    typeof j.to === 'string' &&
    typeof j.code === 'string' &&
    typeof j.validForMs === 'number'
  );
}
