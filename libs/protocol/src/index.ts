export { ErrorCode, ERROR_MESSAGES } from './error-codes';
export {
  AppError,
  InvalidInputError,
  PermissionDeniedError,
  InfrastructureError,
} from './app-error';
export { TOPICS, QUEUES, pushTopic, type TopicName } from './topics';
export type { EmailJob, VerificationCodeEmailJob } from './jobs';
