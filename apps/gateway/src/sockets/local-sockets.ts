import type { Connection } from './connection';

/**
 * The sockets this node holds: all open ones, and the authenticated ones by account.
 *
 * Most accounts have a single connection on a node, so the index holds that connection
 * itself and makes a set only for an account's second one: a `Set` per account would cost
 * about a hundred bytes per idle socket (issue 10).
 */
export class LocalSockets {
  private readonly open = new Set<Connection>();
  private readonly byAccount = new Map<number, Connection | Set<Connection>>();

  add(conn: Connection): void {
    this.open.add(conn);
  }

  /** Files an authenticated connection under its account. */
  bind(conn: Connection, accountId: number): void {
    const held = this.byAccount.get(accountId);
    if (held === undefined || held === conn) this.byAccount.set(accountId, conn);
    else if (held instanceof Set) held.add(conn);
    else this.byAccount.set(accountId, new Set([held, conn]));
  }

  delete(conn: Connection): void {
    this.open.delete(conn);
    if (conn.accountId === null) return;
    const held = this.byAccount.get(conn.accountId);
    if (held === conn) {
      this.byAccount.delete(conn.accountId);
    } else if (held instanceof Set && held.delete(conn)) {
      // Back to the one-connection form (or none), as if the others had never come.
      if (held.size === 1) this.byAccount.set(conn.accountId, held.values().next().value!);
      else if (held.size === 0) this.byAccount.delete(conn.accountId);
    }
  }

  /** The account's open connections here (a copy: sending may close some of them). */
  ofAccount(accountId: number): Connection[] {
    const held = this.byAccount.get(accountId);
    if (held === undefined) return [];
    return held instanceof Set ? [...held] : [held];
  }

  /** Every open connection (a copy). */
  all(): Connection[] {
    return [...this.open];
  }

  /** Every authenticated connection (a copy). */
  authenticated(): Connection[] {
    const conns: Connection[] = [];
    for (const held of this.byAccount.values()) {
      if (held instanceof Set) conns.push(...held);
      else conns.push(held);
    }
    return conns;
  }

  get size(): number {
    return this.open.size;
  }

  /** How many open connections have authenticated. */
  get authenticatedCount(): number {
    let n = 0;
    for (const held of this.byAccount.values()) n += held instanceof Set ? held.size : 1;
    return n;
  }
}
