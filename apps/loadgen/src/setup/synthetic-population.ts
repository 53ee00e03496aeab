import { relationIdOf, tokenOf } from '../baselines/synthetic';
import type { Topology } from '../cli/args';
import type { LoadRelation, Population } from './population';

export interface SyntheticOptions {
  accounts: number;
  topology: Topology;
  groupSize: number;
}

/**
 * The population of a baseline server, made up instead of registered: accounts 1…N with
 * tokens `acct:<id>`, and the same pairs or groups `createPopulation` builds over REST,
 * their relation ids derived from their members (baselines/synthetic.ts). The load run
 * itself cannot tell the two kinds apart.
 */
export function syntheticPopulation(opts: SyntheticOptions): Population {
  const accounts = Array.from({ length: opts.accounts }, (_, i) => ({
    id: i + 1,
    name: `a${i + 1}`,
    token: tokenOf(i + 1),
  }));
  const size = opts.topology === 'pairs' ? 2 : opts.groupSize;
  const relations: LoadRelation[] = [];
  const sendsInto: number[] = new Array(opts.accounts);
  for (let first = 0; first + size <= opts.accounts; first += size) {
    const members = Array.from({ length: size }, (_, i) => first + i);
    for (const m of members) sendsInto[m] = relations.length;
    relations.push({ id: relationIdOf(accounts[first].id, size), members });
  }
  return { accounts, relations, sendsInto };
}
