import { runMain } from '@chat/runtime';
import { start } from './start';
import { storedTokenKey } from './token-key';

// `npm start`: every role in one process on the embedded adapters. Config, logger, and
// SIGTERM/SIGINT handling live in runMain (docs/development.md §3–4); with no Token.Key configured the
// key comes from the data folder (see storedTokenKey).
const stored = storedTokenKey();
runMain(
  'standalone',
  (config, log) => {
    if (stored?.created) {
      log.warn({ file: stored.file }, 'Token.Key is not set: generated a random key and stored it');
    } else if (stored) {
      log.info({ file: stored.file }, 'Token.Key is not set: using the key stored earlier');
    }
    return start(config, log);
  },
  { configOverrides: stored && { Token: { Key: stored.key } } },
);
