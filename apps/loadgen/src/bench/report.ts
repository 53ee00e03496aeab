import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { reactionTrouble } from '../run/result';
import type { BenchPoint, BenchReport, SystemReport } from './run-bench';
import { latencySvg } from './svg';

const NAMES: Record<string, string> = {
  relay: 'bare relay',
  socketio: 'Socket.IO + pg',
  standalone: 'ours, standalone',
  distributed: 'ours, distributed',
};

const fmt = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? '–' : v.toFixed(digits);
const ms = (v: number | null) => (v === null ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const int = (v: number) => Math.round(v).toLocaleString('en-US');

/** The labels of every point measured, in the order they were asked for. */
function pointLabels(report: BenchReport): string[] {
  return [...new Set(report.systems.flatMap((s) => s.points.map((p) => p.label)))];
}

function pointOf(s: SystemReport | undefined, label: string): BenchPoint | undefined {
  return s?.points.find((p) => p.label === label);
}

/** `a ÷ b` of delivered/s at the same point, e.g. `×3.10`. */
function ratio(p: BenchPoint | undefined, base: BenchPoint | undefined): string {
  if (!p || !base || base.result.deliveredPerSec === 0) return '–';
  return `×${(p.result.deliveredPerSec / base.result.deliveredPerSec).toFixed(2)}`;
}

/**
 * The main table, one per point: a row per system and the ratio of its delivered/s to the
 * Socket.IO baseline and to the bare relay at the same point.
 */
export function resultTables(report: BenchReport): string {
  const out: string[] = [];
  const socketio = report.systems.find((s) => s.system === 'socketio');
  const relay = report.systems.find((s) => s.system === 'relay');
  for (const label of pointLabels(report)) {
    out.push(
      `**${label}**`,
      '',
      '| system | offered msg/s | acked/s | delivered/s | ack p50 / p99 ms | delivery p50 / p90 / p99 / p99.9 ms | undelivered | dup | KB / idle socket | delivered/s ÷ Socket.IO | delivered/s ÷ bare relay |',
      '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    );
    for (const s of report.systems) {
      const p = pointOf(s, label);
      // A point with reactions is not run on a system without a REST api (the baselines).
      if (!p && !s.error) continue;
      if (!p) {
        out.push(
          `| ${NAMES[s.system]} | ${s.error ? `failed: ${s.error.split('\n')[0]}` : '–'} |||||||||| `,
        );
        continue;
      }
      const r = p.result;
      const a = r.ackLatencyMs;
      const d = r.deliveryLatencyMs;
      out.push(
        `| ${NAMES[s.system]} | ${p.offered === null ? 'closed loop' : int(p.offered)} | ${int(r.ackedPerSec)} | ${int(r.deliveredPerSec)} | ` +
          `${ms(a.p50)} / ${ms(a.p99)} | ${ms(d.p50)} / ${ms(d.p90)} / ${ms(d.p99)} / ${ms(d.p999)} | ` +
          `${r.deliveries.missing} | ${r.deliveries.duplicates} | ${fmt(s.idle?.kbPerSocket)} | ` +
          `${ratio(p, pointOf(socketio, label))} | ${ratio(p, pointOf(relay, label))} |`,
      );
    }
    out.push('');
  }
  const reactions = reactionTable(report);
  if (reactions) out.push(reactions, '');
  return out.join('\n');
}

/**
 * The points with reactions beside the same system's point at the same rate without: the
 * calls, their latency, their pushes, and what the mix did to the message figures.
 */
export function reactionTable(report: BenchReport): string | undefined {
  const rows: string[] = [];
  for (const s of report.systems) {
    for (const p of s.points) {
      const x = p.result.reactions;
      if (!x) continue;
      const plain = s.points.find((q) => q.offered === p.offered && q.reactionRatio === 0);
      const times = (a: number | null | undefined, b: number | null | undefined) =>
        a == null || !b ? '–' : `×${(a / b).toFixed(2)}`;
      rows.push(
        `| ${NAMES[s.system]} | ${p.label} | ${int(x.okPerSec)} | ${x.ok} / ${x.sent} (${x.adds} add, ${x.removes} remove) | ` +
          `${x.failed}${
            Object.keys(x.errors).length
              ? ` (${Object.entries(x.errors)
                  .map(([c, n]) => `${n} × ${c}`)
                  .join(', ')})`
              : ''
          } | ` +
          `${ms(x.latencyMs.p50)} / ${ms(x.latencyMs.p99)} | ${x.pushes.received} / ${x.pushes.expected} | ` +
          `${times(p.result.deliveredPerSec, plain?.result.deliveredPerSec)} | ` +
          `${times(p.result.ackLatencyMs.p99, plain?.result.ackLatencyMs.p99)} | ` +
          `${times(p.serverCpuUsPerDelivered, plain?.serverCpuUsPerDelivered)} |`,
      );
    }
  }
  if (!rows.length) return undefined;
  return [
    '**reactions** (PUT /api/msg/update/reaction; the last three columns against the same rate without reactions)',
    '',
    '| system | point | reactions ok/s | ok / sent | failed | reaction p50 / p99 ms | reaction pushes received / expected | delivered/s | ack p99 | server µs CPU / delivered msg |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows,
  ].join('\n');
}

/** CPU per process group of every point: % of one core and µs per delivered message. */
export function cpuTable(report: BenchReport): string {
  const out = [
    '| system | point | process | CPU % of one core | µs CPU / delivered msg |',
    '|---|---|---|--:|--:|',
  ];
  for (const s of report.systems) {
    for (const p of s.points) {
      for (const c of p.cpu) {
        out.push(
          `| ${NAMES[s.system]} | ${p.label} | ${c.name} | ${fmt(c.cpuPercent)} | ${fmt(p.cpuUsPerDelivered[c.name])} |`,
        );
      }
      const serverPct = p.cpu.filter((c) => c.server).reduce((n, c) => n + c.cpuPercent, 0);
      out.push(
        `| ${NAMES[s.system]} | ${p.label} | **server total** | **${fmt(serverPct)}** | **${fmt(p.serverCpuUsPerDelivered)}** |`,
      );
    }
  }
  return out.join('\n');
}

function problems(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const s of report.systems) {
    if (s.error) lines.push(`- ${NAMES[s.system]}: failed: ${s.error.split('\n')[0]}`);
    for (const p of s.points) {
      const r = p.result;
      const bad: string[] = [];
      if (r.timeouts) bad.push(`${r.timeouts} timed out`);
      if (r.retried) bad.push(`${r.retried} refused as busy (1004) and sent again`);
      if (r.failed) bad.push(`${r.failed} lost with closed sockets`);
      if (r.disconnects) bad.push(`${r.disconnects} sockets closed early`);
      for (const [code, n] of Object.entries(r.errors)) bad.push(`${n} × error ${code}`);
      if (r.deliveries.misrouted) bad.push(`${r.deliveries.misrouted} misrouted`);
      bad.push(...reactionTrouble(r.reactions));
      if (r.clientCpuPercent.some((c) => c > 85)) bad.push('a client worker above 85 % CPU');
      if (bad.length) lines.push(`- ${NAMES[s.system]}, ${p.label}: ${bad.join('; ')}`);
    }
  }
  return lines;
}

export function markdownReport(report: BenchReport, dir: string): string {
  const o = report.options;
  const m = report.machine;
  const lines = [
    `# Bench ${report.startedAt}`,
    '',
    '```',
    report.argv.join(' '),
    '```',
    '',
    `Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, ${m.platform}. ` +
      `Population: ${o.accounts} accounts in ${o.topology}` +
      `${o.topology === 'groups' ? ` of ${o.groupSize}` : ''}, one socket each` +
      `${o.sockets > o.accounts ? ` (${o.sockets} sockets)` : ''}, ${o.contentBytes}-byte messages, ` +
      `window ${o.window}, ${o.durationS} s per point after a ${o.warmupS} s warm-up, ` +
      `${o.workers} client worker process(es), ${o.idleSockets} idle sockets for memory` +
      (o.reactionRatios.some((r) => r > 0)
        ? `; a point per reaction ratio ${o.reactionRatios.join(', ')} (share of messages followed by a reaction)`
        : '') +
      '.',
    '',
    resultTables(report),
    'Latencies of paced runs count from the scheduled send time (no coordinated omission); ' +
      'undelivered = acked messages some receiving socket never got within the drain.',
    '',
    '## CPU per process (from the start of sending until the deliveries drained)',
    '',
    cpuTable(report),
    '',
    '## Systems',
    '',
    ...report.systems.flatMap((s) => [
      `- **${NAMES[s.system]}**: ${s.title}` +
        (s.startSeconds === undefined ? '' : `; up in ${s.startSeconds} s`) +
        (s.setupSeconds ? `, accounts and friendships made over REST in ${s.setupSeconds} s` : '') +
        (s.idle
          ? `; RSS ${(s.idle.rssBeforeKb / 1024).toFixed(1)} → ${(s.idle.rssAfterKb / 1024).toFixed(1)} MB with ${s.idle.sockets} idle sockets`
          : '') +
        (s.notes.length ? `; ${s.notes.join('; ')}` : ''),
      ...s.points.map((p) => `  - ${p.label}: ![${s.system} ${p.label}](${svgName(s, p)})`),
    ]),
  ];
  const trouble = problems(report);
  if (trouble.length) lines.push('', '## Problems', '', ...trouble);
  lines.push('', `Files: ${dir}`, '');
  return lines.join('\n');
}

export function svgName(s: SystemReport, p: BenchPoint): string {
  const point = p.offered === null ? 'closed' : `rate${p.offered}`;
  const reactions = p.reactionRatio > 0 ? `-reactions${p.reactionRatio}` : '';
  return `latency-${s.system}-${point}${reactions}.svg`;
}

/** Writes report.json, report.md and a latency chart per system and point into `dir`. */
export async function writeReport(report: BenchReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const put = async (name: string, text: string) => {
    await writeFile(path.join(dir, name), text);
    files.push(path.join(dir, name));
  };
  await put('report.json', `${JSON.stringify(report, null, 2)}\n`);
  await put('report.md', markdownReport(report, dir));
  for (const s of report.systems) {
    for (const p of s.points) {
      await put(
        svgName(s, p),
        latencySvg(
          `${NAMES[s.system]}, ${p.label}: send→delivery per second`,
          p.result.deliverySeries,
        ),
      );
    }
  }
  return files;
}
