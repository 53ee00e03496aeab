export { startSmtpSink, type SinkHold, type SinkMessage, type SmtpSink } from './smtp-sink';
export { parseMail, type ParsedMail } from './parse-mail';
