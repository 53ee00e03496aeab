import { accountOfToken, membersOf } from '../baselines/synthetic';
import { syntheticPopulation } from './synthetic-population';

describe('syntheticPopulation', () => {
  it('pairs accounts two by two, each relation id naming its members', () => {
    const pop = syntheticPopulation({ accounts: 4, topology: 'pairs', groupSize: 5 });
    expect(pop.accounts.map((a) => [a.id, a.token])).toEqual([
      [1, 'acct:1'],
      [2, 'acct:2'],
      [3, 'acct:3'],
      [4, 'acct:4'],
    ]);
    expect(pop.relations).toEqual([
      { id: 1002, members: [0, 1] },
      { id: 3002, members: [2, 3] },
    ]);
    expect(pop.sendsInto).toEqual([0, 0, 1, 1]);
    for (const r of pop.relations) {
      expect(membersOf(r.id)).toEqual(r.members.map((m) => pop.accounts[m].id));
    }
  });

  it('builds groups the baselines read back from the id', () => {
    const pop = syntheticPopulation({ accounts: 6, topology: 'groups', groupSize: 3 });
    expect(pop.relations.map((r) => membersOf(r.id))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('reads only its own tokens and ids', () => {
    expect(accountOfToken('acct:42')).toBe(42);
    for (const t of ['acct:0', 'acct:-1', 'acct:1x', 'Bearer acct:1', 7]) {
      expect(accountOfToken(t)).toBeUndefined();
    }
    expect(membersOf(5000)).toBeUndefined();
    expect(membersOf('1002')).toBeUndefined();
    expect(membersOf(1.5)).toBeUndefined();
  });
});
