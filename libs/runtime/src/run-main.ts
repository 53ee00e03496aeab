import {
  ConfigError,
  loadConfigWithDetails,
  redactConfig,
  type Config,
  type LoadOptions,
} from '@chat/config';
import { createLogger, type Logger } from '@chat/logger';

/** Signals closer together than this are taken as one (see `shutdown`). */
const REPEAT_WINDOW_MS = 1000;

export interface Running {
  stop(): Promise<void>;
}

/**
 * The body of every app's `main.ts` (docs/development.md §3–4): load and validate config (a problem stops
 * start-up with one line per key), create the logger, start, and on SIGTERM/SIGINT stop
 * within `Server.ShutdownTimeout`, exiting 0; a second signal or a missed deadline exits 1.
 * `configOverrides` win over every config layer (the standalone server's generated key).
 */
export function runMain(
  name: string,
  start: (config: Config, log: Logger) => Promise<Running>,
  options: { configOverrides?: LoadOptions['overrides'] } = {},
): void {
  let config: Config;
  let log: Logger;
  try {
    const loaded = loadConfigWithDetails({ overrides: options.configOverrides });
    config = loaded.config;
    log = createLogger({ name, level: config.Log.Level, pretty: config.Log.Pretty });
    for (const warning of loaded.warnings) log.warn(`config: ${warning}`);
    log.debug({ config: redactConfig(config), sources: loaded.sources }, 'config loaded');
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }

  const startup = start(config, log);
  startup.catch((err: unknown) => {
    // A setting this app cannot run with (found at start, e.g. the mailer without SMTP):
    // its lines name the key and the fix, like a problem found while loading.
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    log.fatal({ err }, 'start failed');
    log.flush();
    process.exit(1);
  });

  let stopping = false;
  let firstSignalAt = 0;
  const shutdown = (signal: string) => {
    if (stopping) {
      // A terminal's Ctrl-C reaches every process of the group, and a wrapper (npm, tsx)
      // relays it too: the same signal twice within a moment is one request, not two.
      if (Date.now() - firstSignalAt < REPEAT_WINDOW_MS) return;
      log.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    firstSignalAt = Date.now();
    log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error({ timeoutMs: config.Server.ShutdownTimeout }, 'shutdown deadline passed');
      process.exit(1);
    }, config.Server.ShutdownTimeout);
    deadline.unref();
    // A signal during start-up stops the app once start resolves (a start that fails exits
    // 1 on its own; one that hangs meets the deadline).
    startup
      .then((r) => r.stop())
      .then(
        () => {
          log.info('stopped');
          log.flush();
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'stop failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
