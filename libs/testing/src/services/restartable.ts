export interface HaltOptions {
  /**
   * `SIGTERM` (default): the service's own clean shutdown, as an operator's stop does.
   * `SIGKILL`: a crash, with nothing flushed or handed over.
   */
  signal?: 'SIGTERM' | 'SIGKILL';
}

/**
 * A private instance of a service that a fault test may take down and bring back while the
 * apps keep running: `halt` stops the process and keeps its data and port; `resume` starts
 * it again on the same port with the same data (whatever the service itself keeps across a
 * restart) and resolves once it answers; `stop` ends it for good and deletes its data.
 */
export interface RestartableService {
  halt(opts?: HaltOptions): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}
