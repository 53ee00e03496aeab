import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { markdownReport, writeReport } from './bench/report';
import { runBench, type BenchReport } from './bench/run-bench';
import { parseArgs, type BenchOptions } from './cli/args';

/**
 * `npm run bench -- --smoke` over the baselines and the standalone server (the distributed
 * stack under the same client is loadgen.int.spec.ts): every system is started, loaded with
 * the same client and measured, every acked message arrives exactly once, and the figures
 * and report files are there.
 */
describe('bench --smoke', () => {
  let out: string;
  let report: BenchReport;
  let files: string[];

  beforeAll(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'loadgen-bench-'));
    const argv = [
      'bench',
      '--smoke',
      '--systems',
      'relay,socketio,standalone',
      '--reaction-ratio',
      '0,0.2',
      '--out',
      out,
    ];
    const opts = parseArgs(argv) as BenchOptions;
    report = await runBench(
      opts,
      argv,
      { progress: () => undefined },
      {
        nproc: os.availableParallelism(),
        cpuModel: 'test',
        memoryGb: 1,
        node: process.version,
        platform: 'test',
      },
    );
    files = await writeReport(report, path.join(out, 'run'));
  }, 240_000);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('measures each system once at the smoke rate, every acked message delivered once', () => {
    expect(report.systems.map((s) => [s.system, s.error])).toEqual([
      ['relay', undefined],
      ['socketio', undefined],
      ['standalone', undefined],
    ]);
    for (const s of report.systems) {
      // Reactions need a REST api: the baselines have none and skip that point.
      expect(s.points.map((p) => p.label)).toEqual(
        s.system === 'standalone' ? ['rate 500/s', 'rate 500/s, reactions 0.2'] : ['rate 500/s'],
      );
      const r = s.points[0].result;
      expect(r.reactions).toBeUndefined();
      expect(r.scenario).toMatchObject({ accounts: 20, sockets: 20, rate: 500, contentBytes: 100 });
      expect(r.scenario.transport).toBe(s.system === 'socketio' ? 'socketio' : 'ws');
      expect(r.acked).toBeGreaterThan(0);
      expect([r.sent, r.timeouts, r.failed, r.disconnects]).toEqual([r.acked, 0, 0, 0]);
      expect(r.errors).toEqual({});
      expect(r.deliveries).toMatchObject({
        expected: r.acked,
        delivered: r.acked,
        missing: 0,
        duplicates: 0,
        unacked: 0,
        misrouted: 0,
      });
      expect(s.warmup?.deliveries.missing).toBe(0);
    }
  });

  it('mixes reactions into the standalone point with a ratio, each pushed to both sides of its pair', () => {
    const s = report.systems.find((x) => x.system === 'standalone')!;
    const p = s.points[1];
    expect(p.reactionRatio).toBe(0.2);
    const r = p.result;
    expect(r.deliveries).toMatchObject({ expected: r.acked, delivered: r.acked, missing: 0 });
    const x = r.reactions!;
    expect(x.adds).toBeGreaterThan(0.1 * r.acked);
    expect(x.adds).toBeLessThan(0.3 * r.acked);
    expect([x.ok, x.failed, x.errors]).toEqual([x.sent, 0, {}]);
    expect(x.pushes).toEqual({ expected: 2 * x.ok, received: 2 * x.ok, missing: 0, duplicates: 0 });
    expect(s.warmup?.reactions?.ok).toBeGreaterThan(0);
    for (const b of report.systems.filter((x) => x.system !== 'standalone')) {
      expect(b.notes).toContain('no REST api: the points with reactions are not measured');
      expect(b.warmup?.reactions).toBeUndefined();
    }
  });

  it('reports positive rates, ordered latencies, CPU per process and memory per idle socket', () => {
    for (const s of report.systems) {
      const p = s.points[0];
      const r = p.result;
      expect(r.ackedPerSec).toBeGreaterThan(0);
      expect(r.deliveredPerSec).toBeGreaterThan(0);
      for (const l of [r.ackLatencyMs, r.deliveryLatencyMs]) {
        expect(l.p50).toBeGreaterThan(0);
        expect(l.p50!).toBeLessThanOrEqual(l.p90!);
        expect(l.p90!).toBeLessThanOrEqual(l.p99!);
        expect(l.p99!).toBeLessThanOrEqual(l.p999!);
      }
      expect(r.deliverySeries.reduce((n, x) => n + x.count, 0)).toBe(r.deliveries.delivered);
      const server = p.cpu.find((c) => c.name === s.system)!;
      expect(server.cpuPercent).toBeGreaterThan(0);
      expect(p.cpu.find((c) => c.name === 'client')!.cpuMs).toBeGreaterThan(0);
      expect(p.serverCpuUsPerDelivered).toBeGreaterThan(0);
      expect(s.idle).toMatchObject({ sockets: 50 });
      expect(s.idle!.rssBeforeKb).toBeGreaterThan(0);
      expect(Number.isFinite(s.idle!.kbPerSocket)).toBe(true);
    }
    expect(
      report.systems.find((s) => s.system === 'socketio')!.points[0].cpu.map((c) => c.name),
    ).toEqual(['socketio', 'postgres', 'client']);
  });

  it('writes report.json, report.md with the table and ratios, and a chart per run', async () => {
    const names = (await readdir(path.join(out, 'run'))).sort();
    expect(names).toEqual([
      'latency-relay-rate500.svg',
      'latency-socketio-rate500.svg',
      'latency-standalone-rate500-reactions0.2.svg',
      'latency-standalone-rate500.svg',
      'report.json',
      'report.md',
    ]);
    expect(files).toHaveLength(6);
    const json = JSON.parse(await readFile(path.join(out, 'run', 'report.json'), 'utf8'));
    expect(json.systems).toHaveLength(3);
    const md = await readFile(path.join(out, 'run', 'report.md'), 'utf8');
    expect(md).toBe(markdownReport(report, path.join(out, 'run')));
    expect(md).toContain('| bare relay | 500 |');
    expect(md).toMatch(
      /\| ours, standalone \| rate 500\/s, reactions 0\.2 \| \d+ \| (\d+) \/ \1 \(\d+ add, \d+ remove\) \| 0 \|/,
    );
    expect(md).toMatch(/\| Socket\.IO \+ pg \| 500 \|.*\| ×1\.00 \| ×\d+\.\d\d \|/);
    const svg = await readFile(path.join(out, 'run', 'latency-relay-rate500.svg'), 'utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('<polyline');
  });
});
