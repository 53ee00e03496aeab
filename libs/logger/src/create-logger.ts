import pino, { type Logger, type LoggerOptions } from 'pino';
import { sharedStdout } from './stdout-destination';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** Names the process or role in every line (`api`, `gateway`, ...). */
  name: string;
  level?: string;
  /** Human-readable colour output for development; JSON lines when false. */
  pretty?: boolean;
  /**
   * Where lines go; defaults to standard output (`sharedStdout`, which never blocks the
   * process). Tests pass a stream to read them back.
   */
  destination?: NodeJS.WritableStream;
}

/**
 * Paths whose values never reach a log line: tokens, passwords and config secrets
 * (docs/development.md §8). Matching is by exact path, one or two levels deep.
 */
export const REDACTED_PATHS = [
  'password',
  'token',
  'authorization',
  '*.password',
  '*.token',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'Token.Key',
  'config.Token.Key',
];

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (settings.pretty && !settings.destination) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(options, (settings.destination ?? sharedStdout()) as pino.DestinationStream);
}

/** Development gets readable lines, everything else JSON (NODE_ENV or config decides). */
export function isPrettyByDefault(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV !== 'production' && Boolean(process.stdout.isTTY);
}
