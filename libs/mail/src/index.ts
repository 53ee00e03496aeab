export type { Mailer, MailMessage, SentMail } from './mailer';
export { createMailer, type MailConfig } from './create-mailer';
export { escapeHtml, renderVerificationEmail, type RenderedMail } from './verification-email';
