/**
 * A handler's answer that is not ready when the handler returns: the request's turn in its
 * connection's queue ends (so the next request can start, and its record is produced after
 * this one) while the reply waits for `result`, typically a produce ack.
 */
export class Deferred {
  constructor(readonly result: Promise<unknown>) {}
}
