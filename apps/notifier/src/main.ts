import { runMain } from '@chat/runtime';
import { start } from './start';

// Config, logger, start, and SIGTERM/SIGINT handling bounded by Server.ShutdownTimeout all
// live in runMain (docs/development.md §3–4).
runMain('notifier', start);
