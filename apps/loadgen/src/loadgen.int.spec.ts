import { randomBytes } from 'node:crypto';
import type { ScenarioOptions } from './cli/args';
import { formatResult, type LoadResult } from './run/result';
import { runScenario } from './run/run-scenario';
import { ChatApi } from '@chat/client';
import { createPopulation } from './setup/population';
import { startBenchStack, type BenchStack } from './testing/bench-stack';

/**
 * The load generator against the distributed apps (api, mailer, persister, notifier and two
 * gateways as processes on real Postgres, Redis and Kafka): every message acked and
 * delivered exactly once, and figures that add up.
 */
describe('loadgen against the distributed stack', () => {
  let stack: BenchStack;

  const scenario = (changes: Partial<ScenarioOptions>) => ({
    sockets: 4,
    messages: 200,
    durationS: 0,
    rate: 0,
    window: 8,
    workers: 2,
    contentBytes: 64,
    clientMsgId: true,
    ackTimeoutS: 30,
    drainS: 30,
    topology: 'pairs' as const,
    ...changes,
  });

  function expectSane(r: LoadResult) {
    for (const l of [r.ackLatencyMs, r.deliveryLatencyMs]) {
      expect(l.p50).toBeGreaterThan(0);
      expect(l.p50!).toBeLessThanOrEqual(l.p99!);
      expect(l.p99!).toBeLessThanOrEqual(l.max!);
    }
    expect(r.ackLatencyMs.p90!).toBeGreaterThanOrEqual(r.ackLatencyMs.p50!);
    expect(r.sendSeconds).toBeGreaterThan(0);
    // sendSeconds is rounded to the millisecond: allow for it.
    expect(Math.abs(r.ackedPerSec / (r.acked / r.sendSeconds) - 1)).toBeLessThan(0.01);
    expect(r.deliveredPerSec).toBeGreaterThan(0);
    expect(r.clientCpuPercent.length).toBe(r.scenario.workers);
  }

  beforeAll(async () => {
    stack = await startBenchStack({ name: 'loadgen_int', gateways: 2 });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('pairs over two gateways and two worker processes: 200 messages, each acked and delivered once, reactions pushed to both sides', async () => {
    const population = await createPopulation(new ChatApi({ baseUrl: stack.apiUrl }), stack.codes, {
      accounts: 4,
      accountsPerUser: 2,
      topology: 'pairs',
      groupSize: 2,
      tag: randomBytes(3).toString('hex'),
    });
    const r = await runScenario({
      label: 'pairs',
      population,
      gateways: stack.gatewayUrls,
      apiUrl: stack.apiUrl,
      // Typing frames (docs/protocol.md §3.4) and reactions mixed in change nothing of the
      // messages' fate.
      scenario: scenario({ typingRatio: 0.5, reactionRatio: 0.3 }),
    });
    expect([r.sent, r.acked, r.timeouts, r.failed, r.disconnects]).toEqual([200, 200, 0, 0, 0]);
    expect(r.errors).toEqual({});
    expect(r.deliveries).toEqual({
      expected: 200,
      delivered: 200,
      missing: 0,
      duplicates: 0,
      outOfOrder: 0,
      unacked: 0,
      misrouted: 0,
    });
    expect(r.ackLatencyMs.count).toBe(200);
    expect(r.deliveryLatencyMs.count).toBe(200);
    expect(r.scenario).toMatchObject({ sockets: 4, gateways: 2, workers: 2, relationSize: 2 });
    expectSane(r);

    // About 0.3 × 200 messages get a reaction, a quarter of them removed again; each call
    // that changed something is pushed to both sockets of the pair, the reactor's included.
    const x = r.reactions!;
    expect(x.ratio).toBe(0.3);
    expect(x.adds).toBeGreaterThan(30);
    expect(x.adds).toBeLessThan(90);
    expect(x.removes).toBeGreaterThan(0);
    expect(x.removes).toBeLessThan(x.adds);
    expect(x.sent).toBe(x.adds + x.removes);
    expect(x.errors).toEqual({});
    expect([x.ok, x.failed, x.unanswered]).toEqual([x.sent, 0, 0]);
    expect(x.pushes).toEqual({
      expected: 2 * x.ok,
      received: 2 * x.ok,
      missing: 0,
      duplicates: 0,
    });
    expect(x.latencyMs.count).toBe(x.ok);
    expect(x.latencyMs.p50).toBeGreaterThan(0);
    expect(x.latencyMs.p50!).toBeLessThanOrEqual(x.latencyMs.p99!);
    expect(x.okPerSec).toBeGreaterThan(0);
    expect(formatResult(r)).toContain(`${x.ok}/${x.sent} reactions ok`);
  }, 120_000);

  it('groups with second devices, paced, in this process: every other socket of the group gets each message', async () => {
    const population = await createPopulation(new ChatApi({ baseUrl: stack.apiUrl }), stack.codes, {
      accounts: 6,
      accountsPerUser: 3,
      topology: 'groups',
      groupSize: 3,
      tag: randomBytes(3).toString('hex'),
    });
    const r = await runScenario({
      label: 'groups',
      population,
      gateways: stack.gatewayUrls,
      scenario: scenario({ topology: 'groups', sockets: 8, messages: 90, workers: 0, rate: 300 }),
    });
    // Sockets 0–7 over accounts 0–5: accounts 0 and 1 have two devices. Group one (accounts
    // 0–2) has 5 sockets, each message reaching 4; group two has 3, each reaching 2. Quotas
    // are 12, 12, 11, … so group one sends 12+12+11+11+11 = 57 and group two 33.
    expect(r.acked).toBe(90);
    expect(r.deliveries).toMatchObject({
      expected: 57 * 4 + 33 * 2,
      delivered: 57 * 4 + 33 * 2,
      missing: 0,
      duplicates: 0,
      misrouted: 0,
    });
    // 90 messages at 300/s take about 0.3 s: the pace held them back.
    expect(r.sendSeconds).toBeGreaterThan(0.25);
    expectSane(r);
    // No reaction ratio, no reaction figures.
    expect(r.reactions).toBeUndefined();
    expect(formatResult(r)).not.toContain('reaction');
  }, 120_000);
});
