export { createLogger, isPrettyByDefault, REDACTED_PATHS } from './create-logger';
export type { Logger, LoggerSettings } from './create-logger';
