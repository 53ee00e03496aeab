import { LoadWorker } from './worker';
import type { FromWorker, ToWorker } from './wire';

// Entry of a worker process (forked by the pool with an IPC channel): commands in, reports out.
const send = (message: FromWorker, then?: () => void) =>
  process.send?.(message, undefined, undefined, then ? () => then() : undefined);

const worker = new LoadWorker((message) => {
  if (message.type === 'report') {
    // The last word: leave once it is handed over; a stuck channel does not keep us alive.
    send(message, () => process.disconnect());
    setTimeout(() => process.exit(0), 5000).unref();
  } else {
    send(message);
  }
});

process.on('message', (message: ToWorker) => void worker.handle(message));
// The parent is gone: nothing would read what this process measures.
process.on('disconnect', () => process.exit(0));
