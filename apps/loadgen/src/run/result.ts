import { tallyDeliveries, type DeliveryTally } from '../stats/deliveries';
import {
  decodeHistogram,
  mergeHistograms,
  summarizeMicros,
  type LatencySummary,
} from '../stats/latency';
import { SeqBits } from '../stats/seq-bits';
import type { RunPlan } from './plan';
import type { ReactionReport, SendSettings, WorkerReport } from './wire';

/** The figures of one load run, as printed with --json. */
export interface LoadResult {
  label: string;
  scenario: {
    accounts: number;
    sockets: number;
    gateways: number;
    topology: string;
    /** Members per relation. */
    relationSize: number;
    messagesPlanned: number;
    rate: number;
    window: number;
    workers: number;
    transport: string;
    contentBytes: number;
    clientMsgId: boolean;
    durationS: number;
  };
  sent: number;
  acked: number;
  /** Sends without a reply in time. */
  timeouts: number;
  /** Sends lost with a closed socket. */
  failed: number;
  /** Sends refused with 1004 (server busy) and sent again, as a client does. */
  retried: number;
  /** Error replies by status code (docs/api.md §2); a 1004 that was retried is not one. */
  errors: Record<string, number>;
  disconnects: number;
  /** From the common start to the last ack. */
  sendSeconds: number;
  ackedPerSec: number;
  deliveredPerSec: number;
  ackLatencyMs: LatencySummary;
  deliveryLatencyMs: LatencySummary;
  deliveries: DeliveryTally;
  /** Send→delivery per second since the start (by arrival), for the charts. */
  deliverySeries: DeliverySecond[];
  /** CPU used by each worker process while sending, in % of one core. */
  clientCpuPercent: number[];
  /** The reactions of the mix; absent when the reaction ratio is 0. */
  reactions?: ReactionResult;
}

/**
 * Reactions (`PUT /api/msg/update/reaction`) made during a run and their `msg_reaction`
 * pushes, a reaction's delivery: each call that changed something is pushed to every socket
 * of the conversation's members.
 */
export interface ReactionResult {
  /** Share of messages followed by a reaction, as asked. */
  ratio: number;
  /** Calls made: adds and removes. */
  sent: number;
  adds: number;
  removes: number;
  /** Answered with status 0. */
  ok: number;
  /** Every call not ok: error replies, no reply (`timeout`, `http`), unanswered at the end. */
  failed: number;
  /** Error replies by status code; `timeout` / `http` for calls without a reply. */
  errors: Record<string, number>;
  /** Calls in flight or waiting for a slot of their socket when the run ended. */
  unanswered: number;
  /**
   * Calls made again after a 5001: the distributed apps ack a message before the persister
   * wrote it, so the sender's reaction right after the ack may find none yet.
   */
  retried: number;
  /** Ok calls per second, over the same time as acked/s. */
  okPerSec: number;
  /** Call→reply of the ok calls. */
  latencyMs: LatencySummary;
  pushes: {
    /** Ok calls × the sockets of their conversation. */
    expected: number;
    /** Distinct pushes received. */
    received: number;
    missing: number;
    duplicates: number;
  };
}

/** Deliveries that arrived in one second of a run, and their send→delivery latency. */
export interface DeliverySecond {
  second: number;
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface ResultContext {
  label: string;
  plan: RunPlan;
  settings: SendSettings;
  accounts: number;
  gateways: number;
  topology: string;
  relationSize: number;
  messagesPlanned: number;
  startAt: number;
}

/** Merges the worker reports: histograms, counters and the delivery tally. */
export function buildResult(ctx: ResultContext, reports: readonly WorkerReport[]): LoadResult {
  const ack = mergeHistograms(reports.map((r) => decodeHistogram(r.ackLatencyUs)));
  const delivery = mergeHistograms(reports.map((r) => decodeHistogram(r.deliveryLatencyUs)));
  const bySecond = new Map<number, ReturnType<typeof decodeHistogram>[]>();
  for (const r of reports) {
    for (const [second, data] of r.deliveryBySecondUs) {
      bySecond.set(second, [...(bySecond.get(second) ?? []), decodeHistogram(data)]);
    }
  }
  const deliverySeries = [...bySecond.keys()]
    .sort((a, b) => a - b)
    .map((second) => {
      const s = summarizeMicros(mergeHistograms(bySecond.get(second)!, 2));
      return { second, count: s.count, p50Ms: s.p50, p99Ms: s.p99 };
    });
  const errors: Record<string, number> = {};
  const acked = new Map<number, SeqBits>();
  let lastAck = ctx.startAt;
  let lastDelivery = ctx.startAt;
  for (const r of reports) {
    for (const [code, n] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + n;
    for (const a of r.ackedSeqs) acked.set(a.socket, SeqBits.fromBytes(a.seqs));
    lastAck = Math.max(lastAck, r.lastAckAt ?? 0);
    lastDelivery = Math.max(lastDelivery, r.lastDeliveryAt ?? 0);
  }
  const deliveries = tallyDeliveries(
    ctx.plan.receiversOf,
    acked,
    reports.flatMap((r) => r.receipts),
  );
  const sum = (f: (r: WorkerReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  const sendSeconds = (lastAck - ctx.startAt) / 1000;
  const deliverSeconds = (lastDelivery - ctx.startAt) / 1000;
  const s = ctx.settings;
  return {
    label: ctx.label,
    scenario: {
      accounts: ctx.accounts,
      sockets: ctx.plan.sockets.length,
      gateways: ctx.gateways,
      topology: ctx.topology,
      relationSize: ctx.relationSize,
      messagesPlanned: ctx.messagesPlanned,
      rate: s.rate,
      window: s.window,
      workers: ctx.plan.workers,
      transport: s.transport,
      contentBytes: s.contentBytes,
      clientMsgId: s.clientMsgId,
      durationS: s.durationMs / 1000,
    },
    sent: sum((r) => r.sent),
    acked: sum((r) => r.acked),
    timeouts: sum((r) => r.timeouts),
    retried: sum((r) => r.retried),
    failed: sum((r) => r.failed),
    errors,
    disconnects: sum((r) => r.disconnects.length),
    sendSeconds: round(sendSeconds, 3),
    ackedPerSec: sendSeconds > 0 ? round(sum((r) => r.acked) / sendSeconds, 1) : 0,
    deliveredPerSec: deliverSeconds > 0 ? round(deliveries.delivered / deliverSeconds, 1) : 0,
    ackLatencyMs: summarizeMicros(ack),
    deliveryLatencyMs: summarizeMicros(delivery),
    deliveries,
    deliverySeries,
    clientCpuPercent: reports.map((r) => (r.wallMs > 0 ? round((100 * r.cpuMs) / r.wallMs, 0) : 0)),
    ...((s.reactionRatio ?? 0) > 0 && {
      reactions: reactionResult(s.reactionRatio!, reports, sendSeconds),
    }),
  };
}

function reactionResult(
  ratio: number,
  reports: readonly WorkerReport[],
  sendSeconds: number,
): ReactionResult {
  const parts = reports.flatMap((r) => (r.reactions ? [r.reactions] : []));
  const sum = (f: (r: ReactionReport) => number) => parts.reduce((n, r) => n + f(r), 0);
  const errors: Record<string, number> = {};
  for (const p of parts) {
    for (const [code, n] of Object.entries(p.errors)) errors[code] = (errors[code] ?? 0) + n;
  }
  const ok = sum((r) => r.ok);
  const expected = sum((r) => r.pushesExpected);
  const received = sum((r) => r.pushes);
  return {
    ratio,
    sent: sum((r) => r.sent),
    adds: sum((r) => r.adds),
    removes: sum((r) => r.removes),
    ok,
    failed: sum((r) => r.sent) - ok,
    errors,
    unanswered: sum((r) => r.unanswered),
    retried: sum((r) => r.retried),
    okPerSec: sendSeconds > 0 ? round(ok / sendSeconds, 1) : 0,
    latencyMs: summarizeMicros(mergeHistograms(parts.map((r) => decodeHistogram(r.latencyUs)))),
    pushes: {
      expected,
      received,
      missing: Math.max(0, expected - received),
      duplicates: sum((r) => r.pushDuplicates),
    },
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const ms = (v: number | null) => (v === null ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1));

/** One human line (two when something went wrong). */
export function formatResult(r: LoadResult): string {
  const sc = r.scenario;
  const d = r.deliveries;
  const pace = sc.rate > 0 ? `rate ${sc.rate}/s` : 'max rate';
  const head =
    `${r.label}: ${sc.sockets} sockets on ${sc.gateways} gw, ${sc.topology} of ${sc.relationSize}, ` +
    `window ${sc.window}, ${pace}`;
  const line =
    `${head} | ${r.acked} acked in ${r.sendSeconds.toFixed(1)} s = ${Math.round(r.ackedPerSec)} msg/s` +
    ` | ack p50 ${ms(r.ackLatencyMs.p50)} p90 ${ms(r.ackLatencyMs.p90)} p99 ${ms(r.ackLatencyMs.p99)}` +
    ` max ${ms(r.ackLatencyMs.max)} ms` +
    ` | delivery p50 ${ms(r.deliveryLatencyMs.p50)} p99 ${ms(r.deliveryLatencyMs.p99)}` +
    ` p99.9 ${ms(r.deliveryLatencyMs.p999)} ms` +
    ` | ${d.delivered}/${d.expected} delivered, ${d.missing} missing, ${d.duplicates} duplicate` +
    reactionPart(r.reactions) +
    ` | client cpu ${r.clientCpuPercent.map((c) => `${c}%`).join('/')}`;
  const trouble: string[] = [];
  if (r.timeouts) trouble.push(`${r.timeouts} timed out`);
  if (r.retried) trouble.push(`${r.retried} refused as busy (1004) and sent again`);
  if (r.failed) trouble.push(`${r.failed} lost with closed sockets`);
  if (r.disconnects) trouble.push(`${r.disconnects} sockets closed early`);
  for (const [code, n] of Object.entries(r.errors)) trouble.push(`${n} × error ${code}`);
  if (d.outOfOrder) trouble.push(`${d.outOfOrder} out of order`);
  if (d.misrouted) trouble.push(`${d.misrouted} misrouted`);
  if (d.unacked) trouble.push(`${d.unacked} delivered without ack`);
  trouble.push(...reactionTrouble(r.reactions));
  if (r.clientCpuPercent.some((c) => c > 85)) {
    trouble.push('a client worker was above 85 % CPU: add --workers for a fair figure');
  }
  return trouble.length ? `${line}\n  ! ${trouble.join('; ')}` : line;
}

/** The reactions' part of the human line: calls, latency, pushes. */
function reactionPart(x: ReactionResult | undefined): string {
  if (!x) return '';
  return (
    ` | ${x.ok}/${x.sent} reactions ok (${x.adds} add, ${x.removes} remove) = ` +
    `${Math.round(x.okPerSec)}/s, p50 ${ms(x.latencyMs.p50)} p99 ${ms(x.latencyMs.p99)} ms` +
    ` | ${x.pushes.received}/${x.pushes.expected} reaction pushes`
  );
}

/** What went wrong with the reactions, in the words of the trouble line. */
export function reactionTrouble(x: ReactionResult | undefined): string[] {
  if (!x) return [];
  const out: string[] = [];
  for (const [code, n] of Object.entries(x.errors)) out.push(`${n} × reaction error ${code}`);
  if (x.unanswered) out.push(`${x.unanswered} reactions unanswered`);
  if (x.retried) {
    out.push(`${x.retried} reaction calls answered 5001 (message not stored yet) and made again`);
  }
  if (x.pushes.missing) out.push(`${x.pushes.missing} reaction pushes missing`);
  if (x.pushes.duplicates) out.push(`${x.pushes.duplicates} reaction pushes duplicate`);
  return out;
}
