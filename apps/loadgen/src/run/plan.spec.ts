import type { Population } from '../setup/population';
import { planRun } from './plan';

function population(accounts: number, groupSize: number): Population {
  const relations = Array.from({ length: accounts / groupSize }, (_, r) => ({
    id: 1000 + r,
    members: Array.from({ length: groupSize }, (_, i) => r * groupSize + i),
  }));
  return {
    accounts: Array.from({ length: accounts }, (_, i) => ({
      id: 100 + i,
      name: `a${i}`,
      token: `t${i}`,
    })),
    relations,
    sendsInto: Array.from({ length: accounts }, (_, i) => Math.floor(i / groupSize)),
  };
}

describe('planRun', () => {
  const gateways = ['ws://g1/ws', 'ws://g2/ws'];

  it('puts two friends on different gateways and workers, and splits the messages evenly', () => {
    const plan = planRun(population(4, 2), { sockets: 4, messages: 10, workers: 2, gateways });
    expect(plan.sockets.map((s) => [s.accountId, s.url, s.worker, s.quota, s.relationId])).toEqual([
      [100, 'ws://g1/ws', 0, 3, 1000],
      [101, 'ws://g2/ws', 1, 3, 1000],
      [102, 'ws://g1/ws', 0, 2, 1001],
      [103, 'ws://g2/ws', 1, 2, 1001],
    ]);
    expect(plan.receiversOf).toEqual([[1], [0], [3], [2]]);
  });

  it("sends to every socket of every member but the sending one, the sender's other devices too", () => {
    const plan = planRun(population(2, 2), { sockets: 4, messages: 8, workers: 3, gateways });
    // Sockets 0 and 2 are account 100's two devices, on different gateways.
    expect(plan.sockets.map((s) => [s.account, s.gateway])).toEqual([
      [0, 0],
      [1, 1],
      [0, 1],
      [1, 0],
    ]);
    expect(plan.receiversOf).toEqual([
      [2, 1, 3],
      [0, 2, 3],
      [0, 1, 3],
      [0, 2, 1],
    ]);
    // Who may react to a message of the relation, and who gets each msg_reaction push.
    expect(plan.sockets.map((s) => s.conversation)).toEqual(Array(4).fill([0, 1, 2, 3]));
  });

  it('uses no more workers than sockets, and one when asked for none', () => {
    expect(
      planRun(population(2, 2), { sockets: 2, messages: 1, workers: 8, gateways }).workers,
    ).toBe(2);
    const inProcess = planRun(population(2, 2), { sockets: 2, messages: 1, workers: 0, gateways });
    expect(inProcess.workers).toBe(1);
    expect(inProcess.sockets.every((s) => s.worker === 0)).toBe(true);
  });

  it('covers groups: each member hears every other member', () => {
    const plan = planRun(population(6, 3), { sockets: 6, messages: 60, workers: 2, gateways });
    expect(plan.receiversOf[0]).toEqual([1, 2]);
    expect(plan.receiversOf[4]).toEqual([3, 5]);
    expect(plan.sockets[4].conversation).toEqual([3, 4, 5]);
    expect(plan.sockets.reduce((n, s) => n + s.quota, 0)).toBe(60);
  });
});
