import { type EmailJob } from '@chat/protocol';
import { type MailMessage } from './mailer';

export type RenderedMail = Omit<MailMessage, 'to'> & { html: string };

/**
 * The verification-code mail (docs/api.md §6): the code and how long it stays valid
 * (`Rule.CodeMarkDuration`, 1 h by default), in whole minutes, at least one.
 */
export function renderVerificationEmail(job: EmailJob, appName: string): RenderedMail {
  const minutes = Math.max(1, Math.round(job.validForMs / 60_000));
  const validity = `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const subject = `Your ${appName} verification code`;
  const text = [
    `Your ${appName} verification code is:`,
    '',
    `    ${job.code}`,
    '',
    `It is valid for ${validity} and can be used once.`,
    'If you did not ask for it, you can ignore this mail.',
    '',
  ].join('\n');
  const html =
    `<p>Your ${escapeHtml(appName)} verification code is:</p>` +
    `<p style="font-size:24px;font-weight:bold;letter-spacing:4px">${escapeHtml(job.code)}</p>` +
    `<p>It is valid for ${validity} and can be used once.</p>` +
    '<p>If you did not ask for it, you can ignore this mail.</p>';
  return { subject, text, html };
}

/** Text made safe inside HTML elements and quoted attributes. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
