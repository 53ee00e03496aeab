import WebSocket from 'ws';
import { Histogram } from '../stats/histogram';
import { SeqBits } from '../stats/seq-bits';
import { decodeContent, encodeContent } from './content';
import type { SocketPlan } from './plan';
import type { FromWorker, SendSettings, ToWorker, WorkerReport } from './wire';

/** Request ids from here up are control frames (auth); below, a send's id is its seq + 1. */
const CONTROL_ID = 2 ** 50;
const CONNECT_TIMEOUT_MS = 20_000;
const CONNECTS_AT_ONCE = 32;
const SWEEP_MS = 50;
const PROGRESS_MS = 200;

/** Epoch milliseconds with sub-millisecond resolution, comparable across this machine's processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

interface Tally {
  seqs: SeqBits;
  duplicates: number;
  outOfOrder: number;
  last: number;
}

/** One socket: its sends in flight, what was acked, and what it received from whom. */
class Driver {
  ws?: WebSocket;
  next = 0;
  /** seq → send time (epoch ms), in send order. */
  readonly inflight = new Map<number, number>();
  readonly acked: SeqBits;
  ackedCount = 0;
  done = false;
  closed = false;
  readonly received = new Map<number, Tally>();
  onControl?: (frame: { status_code?: number; status_msg?: string; data?: unknown }) => void;

  constructor(readonly plan: SocketPlan) {
    this.acked = new SeqBits(plan.quota);
  }
}

/**
 * The sockets of one worker process: connects and authenticates them (EVENTS.md §2.1),
 * sends `send_msg` frames at the run's pace with at most `window` in flight per socket,
 * times each ack, and reads every pushed `send_msg` of the run for delivery latency and
 * missing / duplicate counts.
 */
export class LoadWorker {
  private index = 0;
  private settings!: SendSettings;
  private drivers: Driver[] = [];
  private readonly ackLatency = new Histogram();
  private readonly deliveryLatency = new Histogram();
  private running = false;
  private finishing = false;
  private startAt = 0;
  private sent = 0;
  private acked = 0;
  private delivered = 0;
  private timeouts = 0;
  private failed = 0;
  private lateReplies = 0;
  private doneCount = 0;
  private readonly errors: Record<string, number> = {};
  private readonly disconnects: [number, number][] = [];
  private firstSendAt?: number;
  private lastAckAt?: number;
  private lastDeliveryAt?: number;
  private cpuAtStart?: NodeJS.CpuUsage;
  private cpuMs = 0;
  private wallMs = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly emit: (message: FromWorker) => void) {}

  /** Takes one command from the parent; failures are reported as `error` messages. */
  async handle(message: ToWorker): Promise<void> {
    try {
      switch (message.type) {
        case 'init':
          return await this.init(message.worker, message.sockets, message.settings);
        case 'start':
          return this.start(message.atMs);
        case 'finish':
          return await this.finish();
      }
    } catch (err) {
      this.emit({ type: 'error', worker: this.index, message: (err as Error).message });
    }
  }

  private async init(worker: number, sockets: SocketPlan[], settings: SendSettings) {
    this.index = worker;
    this.settings = settings;
    this.drivers = sockets.map((s) => new Driver(s));
    let next = 0;
    const lane = async () => {
      while (next < this.drivers.length) await this.connect(this.drivers[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(CONNECTS_AT_ONCE, sockets.length) }, lane));
    this.emit({ type: 'connected', worker });
  }

  /** Opens the socket and authenticates with an `auth` frame; resolves once it is bound. */
  private connect(d: Driver): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(d.plan.url, { perMessageDeflate: false });
      d.ws = ws;
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.terminate();
        reject(new Error(`socket ${d.plan.index} (${d.plan.url}): ${why}`));
      };
      const timer = setTimeout(() => fail('no auth reply in time'), CONNECT_TIMEOUT_MS);
      ws.on('error', (err) => fail(err.message));
      ws.on('open', () =>
        ws.send(JSON.stringify({ id: CONTROL_ID, event: 'auth', data: { token: d.plan.token } })),
      );
      ws.on('message', (raw: Buffer, isBinary: boolean) => {
        if (!isBinary) this.onFrame(d, raw);
      });
      ws.on('close', (code: number) => {
        if (!settled) fail(`closed with ${code} while connecting`);
        else this.onClose(d, code);
      });
      d.onControl = (frame) => {
        if (frame.status_code !== 0) {
          fail(`auth answered ${frame.status_code} ${frame.status_msg ?? ''}`);
          return;
        }
        settled = true;
        clearTimeout(timer);
        d.onControl = undefined;
        resolve();
      };
    });
  }

  private start(atMs: number): void {
    this.startAt = atMs;
    const begin = () => {
      this.cpuAtStart = process.cpuUsage();
      this.running = true;
      const t = nowMs();
      for (const d of this.drivers) this.pump(d, t);
      if (this.settings.rate > 0) {
        // Paced sends fall due between acks: look every millisecond.
        this.timers.push(setInterval(() => this.pumpAll(), 1));
      }
      this.timers.push(setInterval(() => this.sweep(), SWEEP_MS));
    };
    this.timers.push(setTimeout(begin, Math.max(0, atMs - nowMs())));
    this.timers.push(
      setInterval(
        () =>
          this.emit({
            type: 'progress',
            worker: this.index,
            delivered: this.delivered,
            acked: this.acked,
          }),
        PROGRESS_MS,
      ),
    );
  }

  private pumpAll(): void {
    const t = nowMs();
    for (const d of this.drivers) this.pump(d, t);
  }

  /** When the n-th message of socket `d` is due under the run's rate. */
  private dueAt(d: Driver, seq: number): number {
    const { rate, totalSockets } = this.settings;
    return this.startAt + ((seq * totalSockets + d.plan.index) * 1000) / rate;
  }

  private pastEnd(t: number): boolean {
    return this.settings.durationMs > 0 && t >= this.startAt + this.settings.durationMs;
  }

  /** Sends what the window and the pace allow, then checks whether the socket is done. */
  private pump(d: Driver, t: number): void {
    if (d.done || !this.running) return;
    const { window, rate } = this.settings;
    while (
      !d.closed &&
      d.inflight.size < window &&
      d.next < d.plan.quota &&
      !this.pastEnd(t) &&
      (rate === 0 || this.dueAt(d, d.next) <= t)
    ) {
      this.send(d);
    }
    if (d.inflight.size === 0 && (d.closed || d.next >= d.plan.quota || this.pastEnd(t))) {
      d.done = true;
      if (++this.doneCount === this.drivers.length) this.allSent();
    }
  }

  private send(d: Driver): void {
    const { runId, contentBytes, clientMsgId } = this.settings;
    const seq = d.next++;
    const t = nowMs();
    const content = encodeContent(
      runId,
      { sender: d.plan.index, seq, sentAtUs: t * 1000 },
      contentBytes,
    );
    // Built by hand: the content is plain ASCII without quotes, and this is the hot path.
    const key = clientMsgId ? `,"client_msg_id":"${runId}-${d.plan.index}-${seq}"` : '';
    d.ws!.send(
      `{"id":${seq + 1},"event":"send_msg","data":{"relation_id":${d.plan.relationId},"msg_content":"${content}"${key}}}`,
    );
    d.inflight.set(seq, t);
    this.sent++;
    this.firstSendAt ??= t;
  }

  private onFrame(d: Driver, raw: Buffer): void {
    let frame: {
      id?: unknown;
      event?: unknown;
      status_code?: number;
      status_msg?: string;
      data?: { msg_info?: { msg_content?: unknown } };
    };
    try {
      frame = JSON.parse(raw.toString('utf8'));
    } catch {
      return;
    }
    if (typeof frame.id === 'number') {
      if (frame.id >= CONTROL_ID) {
        d.onControl?.(frame);
        return;
      }
      const seq = frame.id - 1;
      const sentAt = d.inflight.get(seq);
      if (sentAt === undefined) {
        this.lateReplies++;
        return;
      }
      d.inflight.delete(seq);
      const t = nowMs();
      if (frame.status_code === 0) {
        this.ackLatency.record((t - sentAt) * 1000);
        d.acked.add(seq);
        d.ackedCount++;
        this.acked++;
        this.lastAckAt = t;
      } else {
        const code = String(frame.status_code);
        this.errors[code] = (this.errors[code] ?? 0) + 1;
      }
      this.pump(d, t);
      return;
    }
    if (frame.event !== 'send_msg') return;
    const text = frame.data?.msg_info?.msg_content;
    if (typeof text !== 'string') return;
    const stamp = decodeContent(this.settings.runId, text);
    if (!stamp) return;
    const t = nowMs();
    let tally = d.received.get(stamp.sender);
    if (!tally) {
      tally = { seqs: new SeqBits(), duplicates: 0, outOfOrder: 0, last: -1 };
      d.received.set(stamp.sender, tally);
    }
    if (!tally.seqs.add(stamp.seq)) {
      tally.duplicates++;
      return;
    }
    if (stamp.seq < tally.last) tally.outOfOrder++;
    tally.last = stamp.seq;
    this.deliveryLatency.record(t * 1000 - stamp.sentAtUs);
    this.delivered++;
    this.lastDeliveryAt = t;
  }

  private onClose(d: Driver, code: number): void {
    if (this.finishing || d.closed) return;
    d.closed = true;
    this.disconnects.push([d.plan.index, code]);
    this.failed += d.inflight.size;
    d.inflight.clear();
    this.pump(d, nowMs());
  }

  /** Expires sends without a reply and ends sockets whose time is up. */
  private sweep(): void {
    const t = nowMs();
    for (const d of this.drivers) {
      for (const [seq, sentAt] of d.inflight) {
        if (t - sentAt < this.settings.ackTimeoutMs) break;
        d.inflight.delete(seq);
        this.timeouts++;
      }
      this.pump(d, t);
    }
  }

  private allSent(): void {
    const cpu = process.cpuUsage(this.cpuAtStart);
    this.cpuMs = (cpu.user + cpu.system) / 1000;
    this.wallMs = nowMs() - this.startAt;
    this.emit({
      type: 'sent',
      worker: this.index,
      summary: {
        sent: this.sent,
        acked: this.acked,
        ackedBySocket: this.drivers.map((d) => [d.plan.index, d.ackedCount]),
      },
    });
  }

  private async finish(): Promise<void> {
    this.finishing = true;
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(
      this.drivers.map(
        (d) =>
          new Promise<void>((resolve) => {
            const ws = d.ws;
            if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
            const timer = setTimeout(() => {
              ws.terminate();
              resolve();
            }, 2000);
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close(1000);
          }),
      ),
    );
    const report: WorkerReport = {
      worker: this.index,
      sent: this.sent,
      acked: this.acked,
      ackedBySocket: this.drivers.map((d) => [d.plan.index, d.ackedCount]),
      ackLatencyUs: this.ackLatency.toData(),
      deliveryLatencyUs: this.deliveryLatency.toData(),
      timeouts: this.timeouts,
      failed: this.failed,
      errors: this.errors,
      lateReplies: this.lateReplies,
      disconnects: this.disconnects,
      firstSendAt: this.firstSendAt,
      lastAckAt: this.lastAckAt,
      lastDeliveryAt: this.lastDeliveryAt,
      ackedSeqs: this.drivers.map((d) => ({ socket: d.plan.index, seqs: d.acked.toBytes() })),
      receipts: this.drivers.flatMap((d) =>
        [...d.received].map(([from, r]) => ({
          socket: d.plan.index,
          from,
          seqs: r.seqs.toBytes(),
          duplicates: r.duplicates,
          outOfOrder: r.outOfOrder,
        })),
      ),
      cpuMs: this.cpuMs,
      wallMs: this.wallMs,
    };
    this.emit({ type: 'report', report });
  }
}
