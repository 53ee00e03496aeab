export { startSmtpSink, type SinkHold, type SinkMessage, type SmtpSink } from './smtp-sink';
export { parseMail, type ParsedMail } from './parse-mail';
export { mailerContract, type MailerUnderTest } from './mailer.contract';
