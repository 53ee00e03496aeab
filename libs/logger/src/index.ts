export { createLogger, isPrettyByDefault, REDACTED_PATHS } from './create-logger';
export type { Logger, LoggerSettings } from './create-logger';
export { stdoutDestination, STDOUT_STALL_LIMIT_MS } from './stdout-destination';
