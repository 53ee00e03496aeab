import type { Population } from '../setup/population';

/** One socket of a run and what it sends. */
export interface SocketPlan {
  /** Global index: names the sender in message contents. */
  index: number;
  /** Index into the population's accounts. */
  account: number;
  accountId: number;
  token: string;
  /** Index into the gateway list, and its URL. */
  gateway: number;
  url: string;
  /** The relation this socket sends into. */
  relationId: number;
  /** Messages this socket sends. */
  quota: number;
  /**
   * Every socket of the relation's members, this one included, ascending: who may react to
   * a message of the relation, and who gets each `msg_reaction` push.
   */
  conversation: number[];
  /** The worker process holding it. */
  worker: number;
}

export interface RunPlan {
  sockets: SocketPlan[];
  /** Per sending socket: the sockets that must receive each of its messages. */
  receiversOf: number[][];
  workers: number;
}

export interface PlanOptions {
  sockets: number;
  messages: number;
  /** Worker processes; 0 means one, in this process. */
  workers: number;
  gateways: readonly string[];
}

/**
 * Spreads sockets over accounts (round-robin, so each account has ⌈C/N⌉ or ⌊C/N⌋ devices),
 * over gateways (shifted by one on each round over the accounts, so an account's devices,
 * and two friends, sit on different gateways where there are several) and over workers,
 * and splits the messages evenly. Receivers follow docs/protocol.md §3.2: every socket of every
 * member of the relation except the sending one.
 */
export function planRun(pop: Population, opts: PlanOptions): RunPlan {
  const n = pop.accounts.length;
  // A worker without sockets would have nothing to do.
  const lanes = Math.max(1, Math.min(opts.workers, opts.sockets));
  const g = opts.gateways.length;
  const sockets: SocketPlan[] = [];
  for (let i = 0; i < opts.sockets; i++) {
    const account = i % n;
    const gateway = (i + Math.floor(i / n)) % g;
    const relation = pop.relations[pop.sendsInto[account]];
    sockets.push({
      index: i,
      account,
      accountId: pop.accounts[account].id,
      token: pop.accounts[account].token,
      gateway,
      url: opts.gateways[gateway],
      relationId: relation.id,
      quota: Math.floor(opts.messages / opts.sockets) + (i < opts.messages % opts.sockets ? 1 : 0),
      conversation: [],
      worker: i % lanes,
    });
  }
  const socketsOf = new Map<number, number[]>();
  for (const s of sockets) socketsOf.set(s.account, [...(socketsOf.get(s.account) ?? []), s.index]);
  const receiversOf = sockets.map((s) => {
    const relation = pop.relations[pop.sendsInto[s.account]];
    const all = relation.members.flatMap((m) => socketsOf.get(m) ?? []);
    s.conversation = [...all].sort((a, b) => a - b);
    return all.filter((t) => t !== s.index);
  });
  return { sockets, receiversOf, workers: lanes };
}
