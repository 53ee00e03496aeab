export { waitFor, type WaitOptions } from './wait-for';
export { createSuiteContext, type SuiteContext, type SuiteOptions } from './suite';
export { startServices, type RunningServices, type ServiceEnv } from './services/services';
export { startKafkaBroker, type KafkaBroker } from './services/kafka-broker';
export { startApp, runScript, type RunningApp, type StartAppOptions } from './apps';
export { freePort } from './services/run';
export { WsClient, type WsReply, type WsPush } from './ws-client';
export { startSmtpSink, type SmtpSink } from '@chat/mail/testing';
