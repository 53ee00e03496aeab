import { SeqBits } from '../stats/seq-bits';
import {
  encodeHistogram,
  newLatencyHistogram,
  recordMicros,
  type Histogram,
} from '../stats/latency';
import { decodeContent, encodeContent } from './content';
import type { SocketPlan } from './plan';
import { REMOVE_AFTER_MS, ReactionClient, reactionFor } from './reactions';
import { openConnection, type Connection, type ReactionPush } from './transport';
import type { FromWorker, ReactionReport, SendSettings, ToWorker, WorkerReport } from './wire';

const CONNECT_TIMEOUT_MS = 20_000;
const CONNECTS_AT_ONCE = 32;
const SWEEP_MS = 50;
/** 1004 without a `retry_after_ms` hint: wait this long before sending again. */
const DEFAULT_RETRY_MS = 100;
const TOO_MANY_REQUESTS = 1004;
const MESSAGE_NOT_FOUND = 5001;
const PROGRESS_MS = 200;
/** A reaction answered 5001 (message not stored yet) is tried again this long after. */
const NOT_STORED_RETRY_MS = 100;

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
  conn?: Connection;
  next = 0;
  /** seq → the time the send counts from (epoch ms), in send order. */
  readonly inflight = new Map<number, number>();
  readonly acked: SeqBits;
  ackedCount = 0;
  done = false;
  closed = false;
  readonly received = new Map<number, Tally>();
  /** Reaction calls of this socket's account in flight, and those waiting for a slot. */
  reactionsInFlight = 0;
  readonly reactionQueue: (() => void)[] = [];

  constructor(readonly plan: SocketPlan) {
    this.acked = new SeqBits(plan.quota);
  }
}

/**
 * The sockets of one worker process: connects and authenticates them (docs/protocol.md §2.1, or
 * the Socket.IO handshake for that baseline), sends `send_msg` at the run's pace with at
 * most `window` in flight per socket, times each ack, and reads every pushed `send_msg` of
 * the run for delivery latency and missing / duplicate counts.
 *
 * With a reaction ratio, the socket chosen for a message (run/reactions.ts) reacts to it over
 * REST when it sees it (its ack at the sender, its delivery elsewhere), sometimes removes the
 * reaction later, and every socket counts the `msg_reaction` pushes it receives.
 *
 * Paced runs time each message from when the schedule said to send it, not from when it
 * left: a server that stalls makes sends queue behind the window, and timing from the late
 * send would hide that wait (coordinated omission). Closed-loop runs have no schedule; they
 * time from the send.
 */
export class LoadWorker {
  private index = 0;
  private settings!: SendSettings;
  private drivers: Driver[] = [];
  private readonly ackLatency = newLatencyHistogram();
  private readonly deliveryLatency = newLatencyHistogram();
  /** Send→delivery per second of the run (by arrival), for the latency-over-time chart. */
  private readonly deliveryBySecond = new Map<number, Histogram>();
  private running = false;
  private finishing = false;
  private startAt = 0;
  private sent = 0;
  private acked = 0;
  private delivered = 0;
  private timeouts = 0;
  private failed = 0;
  private lateReplies = 0;
  private retried = 0;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
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
  /** Set when the run has reactions. */
  private reactionClient?: ReactionClient;
  private readonly reactionLatency = newLatencyHistogram();
  private readonly reactions = {
    sent: 0,
    adds: 0,
    removes: 0,
    ok: 0,
    inFlight: 0,
    /** Removes and retries scheduled and not yet sent. */
    scheduled: 0,
    /** Calls waiting for a free slot of their socket. */
    queued: 0,
    /** Calls made again after a 5001 (message not stored yet). */
    retried: 0,
    pushesExpected: 0,
    pushes: 0,
    pushDuplicates: 0,
  };
  private readonly reactionErrors: Record<string, number> = {};
  private readonly reactionTimers = new Set<NodeJS.Timeout>();
  /** `socket msg account emoji state` of every `msg_reaction` push received. */
  private readonly reactionPushes = new Set<string>();

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
    if ((settings.reactionRatio ?? 0) > 0) {
      if (!settings.apiUrl) throw new Error('reactions need the base URL of the REST api');
      this.reactionClient = new ReactionClient(settings.apiUrl, settings.ackTimeoutMs);
    }
    let next = 0;
    const lane = async () => {
      while (next < this.drivers.length) await this.connect(this.drivers[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(CONNECTS_AT_ONCE, sockets.length) }, lane));
    this.emit({ type: 'connected', worker, pid: process.pid, now: nowMs() });
  }

  private async connect(d: Driver): Promise<void> {
    try {
      d.conn = await openConnection(
        this.settings.transport,
        d.plan.url,
        d.plan.token,
        {
          onReply: (id, status, retryAfterMs, msgId) =>
            this.onReply(d, id, status, retryAfterMs, msgId),
          onPush: (text, msgId) => this.onPush(d, text, msgId),
          onReaction: this.reactionClient && ((push) => this.onReaction(d, push)),
          onClose: (code) => this.onClose(d, code),
        },
        CONNECT_TIMEOUT_MS,
      );
    } catch (err) {
      throw new Error(`socket ${d.plan.index} (${d.plan.url}): ${(err as Error).message}`);
    }
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
            reactions: this.reactionClient && {
              pending: this.reactions.inFlight + this.reactions.scheduled + this.reactions.queued,
              pushes: this.reactions.pushes,
              pushesExpected: this.reactions.pushesExpected,
            },
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
      this.send(d, rate === 0 ? nowMs() : this.dueAt(d, d.next));
    }
    if (d.inflight.size === 0 && (d.closed || d.next >= d.plan.quota || this.pastEnd(t))) {
      d.done = true;
      if (++this.doneCount === this.drivers.length) this.allSent();
    }
  }

  /** Sends the socket's next message, timed from `from` (epoch ms). */
  private send(d: Driver, from: number): void {
    const seq = d.next++;
    this.transmit(d, seq, from);
    d.inflight.set(seq, from);
    this.sent++;
    this.firstSendAt ??= from;
  }

  /** The frame of message `seq`; a retry sends the very same (same stamp, same key). */
  private transmit(d: Driver, seq: number, from: number): void {
    const { runId, contentBytes, clientMsgId } = this.settings;
    const content = encodeContent(
      runId,
      { sender: d.plan.index, seq, sentAtUs: from * 1000 },
      contentBytes,
    );
    const key = clientMsgId ? `${runId}-${d.plan.index}-${seq}` : undefined;
    const typingRatio = this.settings.typingRatio ?? 0;
    if (typingRatio > 0 && Math.random() < typingRatio) d.conn!.sendTyping?.(d.plan.relationId);
    d.conn!.sendMsg(seq + 1, d.plan.relationId, content, key);
  }

  private onReply(
    d: Driver,
    id: number,
    status: number,
    retryAfterMs?: number,
    msgId?: number,
  ): void {
    const seq = id - 1;
    const sentAt = d.inflight.get(seq);
    if (sentAt === undefined) {
      this.lateReplies++;
      return;
    }
    if (status === TOO_MANY_REQUESTS && !this.finishing) {
      // Refused, not accepted (the server is busy): as a client does, send it again after
      // the hint. It keeps its place in the window and its original time, so the wait
      // counts in its latency; the ack timeout still bounds it.
      this.retried++;
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (d.inflight.get(seq) === sentAt && !d.closed && !this.finishing) {
          this.transmit(d, seq, sentAt);
        }
      }, retryAfterMs ?? DEFAULT_RETRY_MS);
      this.retryTimers.add(timer);
      return;
    }
    d.inflight.delete(seq);
    const t = nowMs();
    if (status === 0) {
      recordMicros(this.ackLatency, (t - sentAt) * 1000);
      d.acked.add(seq);
      d.ackedCount++;
      this.acked++;
      this.lastAckAt = t;
      if (this.reactionClient) this.maybeReact(d, d.plan.index, seq, msgId);
    } else {
      const code = String(status);
      this.errors[code] = (this.errors[code] ?? 0) + 1;
    }
    this.pump(d, t);
  }

  private onPush(d: Driver, text: string, msgId?: number): void {
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
    const us = t * 1000 - stamp.sentAtUs;
    recordMicros(this.deliveryLatency, us);
    const second = Math.max(0, Math.floor((t - this.startAt) / 1000));
    let perSecond = this.deliveryBySecond.get(second);
    if (!perSecond) {
      perSecond = newLatencyHistogram(2);
      this.deliveryBySecond.set(second, perSecond);
    }
    recordMicros(perSecond, us);
    this.delivered++;
    this.lastDeliveryAt = t;
    if (this.reactionClient) this.maybeReact(d, stamp.sender, stamp.seq, msgId);
  }

  /** Reacts to message `seq` of socket `sender` (stored as `msgId`) if `d` is its reactor. */
  private maybeReact(d: Driver, sender: number, seq: number, msgId?: number): void {
    if (msgId === undefined || this.finishing) return;
    const { runId, reactionRatio = 0 } = this.settings;
    const choice = reactionFor(runId, reactionRatio, d.plan.conversation, sender, seq);
    if (choice?.reactor !== d.plan.index) return;
    this.react(d, msgId, choice.emoji, true, choice.remove);
  }

  /**
   * One reaction call; an add marked `removeLater` is taken back `REMOVE_AFTER_MS` after it.
   *
   * The distributed apps ack a message once Kafka has it, before the persister has written
   * it: the sender's reaction right after the ack can find no message yet (5001). As a
   * client would, it tries again `NOT_STORED_RETRY_MS` later, within the ack timeout from
   * the first call; the wait counts in its latency and the retries are counted.
   *
   * A socket has at most `window` reaction calls in flight, as it has sends: the others wait
   * their turn (timed from when they were due), so a server that falls behind is not sent
   * an ever longer queue of calls.
   */
  private react(
    d: Driver,
    msgId: number,
    emoji: string,
    state: boolean,
    removeLater: boolean,
    firstAt?: number,
  ) {
    const r = this.reactions;
    if (firstAt === undefined) {
      r.sent++;
      if (state) r.adds++;
      else r.removes++;
    }
    const from = firstAt ?? nowMs();
    r.queued++;
    d.reactionQueue.push(() => this.call(d, msgId, emoji, state, removeLater, from));
    this.nextReaction(d);
  }

  /** Starts the socket's next waiting reaction call if it has a free slot. */
  private nextReaction(d: Driver): void {
    if (d.reactionsInFlight >= this.settings.window || this.finishing) return;
    const call = d.reactionQueue.shift();
    if (!call) return;
    this.reactions.queued--;
    call();
  }

  private call(
    d: Driver,
    msgId: number,
    emoji: string,
    state: boolean,
    removeLater: boolean,
    from: number,
  ): void {
    const r = this.reactions;
    r.inFlight++;
    d.reactionsInFlight++;
    void this.reactionClient!.react(d.plan.token, msgId, emoji, state).then((outcome) => {
      if (this.finishing) return;
      r.inFlight--;
      d.reactionsInFlight--;
      this.nextReaction(d);
      if (
        outcome === MESSAGE_NOT_FOUND &&
        nowMs() - from < this.settings.ackTimeoutMs - NOT_STORED_RETRY_MS
      ) {
        r.retried++;
        this.later(
          () => this.react(d, msgId, emoji, state, removeLater, from),
          NOT_STORED_RETRY_MS,
        );
        return;
      }
      if (outcome !== 0) {
        const code = String(outcome);
        this.reactionErrors[code] = (this.reactionErrors[code] ?? 0) + 1;
        return;
      }
      recordMicros(this.reactionLatency, (nowMs() - from) * 1000);
      r.ok++;
      // The server pushes a change to every member: each socket of the conversation.
      r.pushesExpected += d.plan.conversation.length;
      if (removeLater) this.later(() => this.react(d, msgId, emoji, false, false), REMOVE_AFTER_MS);
    });
  }

  /** A reaction call to make `ms` from now: pending for the drain, dropped at the finish. */
  private later(call: () => void, ms: number): void {
    this.reactions.scheduled++;
    const timer = setTimeout(() => {
      this.reactionTimers.delete(timer);
      this.reactions.scheduled--;
      call();
    }, ms);
    this.reactionTimers.add(timer);
  }

  private onReaction(d: Driver, push: ReactionPush): void {
    const key = `${d.plan.index} ${push.msg_id} ${push.account_id} ${push.emoji} ${push.state}`;
    if (this.reactionPushes.has(key)) {
      this.reactions.pushDuplicates++;
      return;
    }
    this.reactionPushes.add(key);
    this.reactions.pushes++;
  }

  private reactionReport(): ReactionReport | undefined {
    if (!this.reactionClient) return undefined;
    const r = this.reactions;
    return {
      sent: r.sent,
      adds: r.adds,
      removes: r.removes,
      ok: r.ok,
      errors: this.reactionErrors,
      unanswered: r.inFlight + r.queued,
      retried: r.retried,
      latencyUs: encodeHistogram(this.reactionLatency),
      pushesExpected: r.pushesExpected,
      pushes: r.pushes,
      pushDuplicates: r.pushDuplicates,
    };
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
    for (const t of [...this.timers, ...this.retryTimers, ...this.reactionTimers]) clearTimeout(t);
    await Promise.all(this.drivers.map((d) => d.conn?.close()));
    const report: WorkerReport = {
      worker: this.index,
      sent: this.sent,
      acked: this.acked,
      ackedBySocket: this.drivers.map((d) => [d.plan.index, d.ackedCount]),
      ackLatencyUs: encodeHistogram(this.ackLatency),
      deliveryLatencyUs: encodeHistogram(this.deliveryLatency),
      deliveryBySecondUs: [...this.deliveryBySecond].map(([s, h]) => [s, encodeHistogram(h)]),
      timeouts: this.timeouts,
      failed: this.failed,
      errors: this.errors,
      lateReplies: this.lateReplies,
      retried: this.retried,
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
      reactions: this.reactionReport(),
    };
    this.reactionClient?.close();
    this.emit({ type: 'report', report });
  }
}
