import type { Receipt } from '../stats/deliveries';
import type { SocketPlan } from './plan';
import type { TransportKind } from './transport';

/** How every socket of a run sends; the same for each worker. */
export interface SendSettings {
  runId: string;
  /** The protocol the sockets speak. */
  transport: TransportKind;
  /** Target messages per second over all sockets of the run (0: window-bound). */
  rate: number;
  /** Sockets in the whole run (paces each socket's share of `rate`). */
  totalSockets: number;
  window: number;
  contentBytes: number;
  clientMsgId: boolean;
  /** Share of messages preceded by a `typing` frame (chat protocol only; 0: none). */
  typingRatio?: number;
  /**
   * Share of messages followed by a reaction over REST (0: none); needs `apiUrl`
   * (run/reactions.ts).
   */
  reactionRatio?: number;
  /** Base URL of the REST api, for the reactions. */
  apiUrl?: string;
  ackTimeoutMs: number;
  /** Stop starting sends this long after the start (0: no limit). */
  durationMs: number;
}

/** Parent → worker. */
export type ToWorker =
  | { type: 'init'; worker: number; sockets: SocketPlan[]; settings: SendSettings }
  /** Start sending at `atMs` (epoch ms, this machine's clock). */
  | { type: 'start'; atMs: number }
  /** Close the sockets and send the report. */
  | { type: 'finish' };

/** What a worker's senders did, once all of them are done. */
export interface SentSummary {
  sent: number;
  acked: number;
  /** Acked messages per sending socket: [socket, count]. */
  ackedBySocket: [number, number][];
}

/** What a worker's reactions did (run/reactions.ts); absent when the run has none. */
export interface ReactionReport {
  /** Calls made: adds and removes. */
  sent: number;
  adds: number;
  removes: number;
  /** Calls answered with status 0. */
  ok: number;
  /** Error replies by status code, and `timeout` / `http` for calls without a reply. */
  errors: Record<string, number>;
  /** Calls in flight or waiting for a slot when the run ended. */
  unanswered: number;
  /** Calls made again after a 5001 (the message not stored yet, right after its ack). */
  retried: number;
  /** Call→reply of the calls answered with 0, HdrHistogram of microseconds. */
  latencyUs: string;
  /** `msg_reaction` pushes the ok calls owe: each one to every socket of the relation. */
  pushesExpected: number;
  /** Distinct `msg_reaction` pushes received by this worker's sockets. */
  pushes: number;
  /** The same push received twice by one socket. */
  pushDuplicates: number;
}

export interface WorkerReport extends SentSummary {
  worker: number;
  /** HdrHistograms of microseconds, compressed base64 (stats/latency). */
  ackLatencyUs: string;
  deliveryLatencyUs: string;
  /** Send→delivery by second since the start (by arrival): [second, histogram]. */
  deliveryBySecondUs: [number, string][];
  timeouts: number;
  /** Sends lost with a socket that closed. */
  failed: number;
  /** Error replies by status code. */
  errors: Record<string, number>;
  /** Sends refused with 1004 (busy) and sent again after the server's hint. */
  retried: number;
  /** Replies that came after their send had timed out. */
  lateReplies: number;
  /** Sockets that closed before the end: [socket, close code]. */
  disconnects: [number, number][];
  /** Epoch ms; undefined when nothing happened. */
  firstSendAt?: number;
  lastAckAt?: number;
  lastDeliveryAt?: number;
  /** Acked sequence numbers per sending socket. */
  ackedSeqs: { socket: number; seqs: Uint8Array }[];
  receipts: Receipt[];
  /** CPU time of the worker's process during the send phase, in ms. */
  cpuMs: number;
  /** Wall time of the send phase, in ms. */
  wallMs: number;
  reactions?: ReactionReport;
}

/** Reaction counts while running: the drain waits for the calls and their pushes. */
export interface ReactionProgress {
  /** Calls in flight or removes still to come. */
  pending: number;
  pushes: number;
  pushesExpected: number;
}

/** Worker → parent. */
export type FromWorker =
  /** Every socket of the worker is open and authenticated; `pid` is the worker's process. */
  | { type: 'connected'; worker: number; pid: number; now: number }
  | { type: 'sent'; worker: number; summary: SentSummary }
  /** Distinct deliveries so far (sent every 200 ms while running). */
  | {
      type: 'progress';
      worker: number;
      delivered: number;
      acked: number;
      reactions?: ReactionProgress;
    }
  | { type: 'report'; report: WorkerReport }
  | { type: 'error'; worker: number; message: string };
