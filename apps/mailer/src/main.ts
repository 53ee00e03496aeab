import { runMain } from '@chat/runtime';
import { start } from './start';

// Config (a ConfigError prints its lines and exits 1), logger, start, and SIGTERM/SIGINT
// handling bounded by Server.ShutdownTimeout all live in runMain (docs/development.md §3–4).
runMain('mailer', start);
