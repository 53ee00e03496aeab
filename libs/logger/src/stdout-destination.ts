import SonicBoom from 'sonic-boom';

/** How long standard output may refuse writes before lines are given up. */
export const STDOUT_STALL_LIMIT_MS = 2_000;
/** Bytes of log lines held while standard output is slower than the process; more are dropped. */
export const STDOUT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface StdoutDestinationOptions {
  fd?: number;
  stallLimitMs?: number;
  maxBufferedBytes?: number;
}

/**
 * Where every logger of a process writes by default: standard output, asynchronously, in
 * a way that can never hold the process. When the reader of standard output stops reading
 * (a log shipper that hangs, a parent that went away while another process keeps the pipe
 * open), writes are refused (EAGAIN): lines are then kept in memory up to a bound and
 * dropped past it, serving goes on, and the last flush at exit gives up after
 * `stallLimitMs` instead of retrying forever. (pino's own destination retries a refused
 * write without end in its exit handler: a stopped server then never exits.) A reader
 * that closed the pipe (EPIPE) ends logging for the process.
 */
export function stdoutDestination(options: StdoutDestinationOptions = {}): SonicBoom {
  const stallLimitMs = options.stallLimitMs ?? STDOUT_STALL_LIMIT_MS;
  let refusedSince = 0;
  const stream = new SonicBoom({
    fd: options.fd ?? 1,
    sync: false,
    minLength: 0,
    maxLength: options.maxBufferedBytes ?? STDOUT_MAX_BUFFERED_BYTES,
    retryEAGAIN: () => {
      const now = Date.now();
      if (refusedSince === 0) refusedSince = now;
      return now - refusedSince < stallLimitMs;
    },
  });
  stream.on('write', () => (refusedSince = 0));
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // EAGAIN past the limit: the lines stay buffered and the next line tries again.
    if (err.code === 'EPIPE') stream.write = () => true;
  });
  process.once('exit', () => {
    try {
      stream.flushSync();
    } catch {
      // Standard output still refuses (or is gone): what is left cannot be written.
    }
  });
  return stream;
}

let shared: SonicBoom | undefined;

/** The process's one standard-output destination, shared by all its loggers. */
export function sharedStdout(): SonicBoom {
  shared ??= stdoutDestination();
  return shared;
}
