import { type JobHandler } from '@chat/jobs';
import { type Logger } from '@chat/logger';
import { renderVerificationEmail, type Mailer } from '@chat/mail';
import { AppError, ErrorCode, describeIssues, emailJobSchema, type EmailJob } from '@chat/protocol';

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
    // Jobs come from Redis: checked field by field (`emailJobSchema`) rather than trusted
    // to match the type they were added with.
    const parsed = emailJobSchema.safeParse(job.payload);
    if (!parsed.success) {
      const payload: unknown = job.payload;
      const kind =
        typeof payload === 'object' && payload !== null && 'kind' in payload
          ? payload.kind
          : undefined;
      // The issues name fields only, never their values: the code stays out of the log.
      const problem = describeIssues(parsed.error, 'job');
      log.error({ jobId: job.id, job: job.name, kind, problem }, 'unknown email job, not sending');
      throw new AppError(
        ErrorCode.ServerError,
        `email job ${job.id} of kind ${String(kind)}: ${problem}`,
      );
    }
    const email = parsed.data;
    const sent = await mailer.send({ to: email.to, ...renderVerificationEmail(email, appName) });
    log.info(
      { jobId: job.id, attempt: job.attempt, kind: email.kind, messageId: sent.messageId },
      'email sent',
    );
  };
}
