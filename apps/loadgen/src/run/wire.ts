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
}

/** Worker → parent. */
export type FromWorker =
  /** Every socket of the worker is open and authenticated; `pid` is the worker's process. */
  | { type: 'connected'; worker: number; pid: number; now: number }
  | { type: 'sent'; worker: number; summary: SentSummary }
  /** Distinct deliveries so far (sent every 200 ms while running). */
  | { type: 'progress'; worker: number; delivered: number; acked: number }
  | { type: 'report'; report: WorkerReport }
  | { type: 'error'; worker: number; message: string };
