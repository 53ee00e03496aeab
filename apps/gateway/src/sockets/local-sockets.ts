import type { Connection } from './connection';

/** The sockets this node holds: all open ones, and the authenticated ones by account. */
export class LocalSockets {
  private readonly open = new Set<Connection>();
  private readonly byAccount = new Map<number, Set<Connection>>();

  add(conn: Connection): void {
    this.open.add(conn);
  }

  /** Files an authenticated connection under its account. */
  bind(conn: Connection, accountId: number): void {
    let set = this.byAccount.get(accountId);
    if (!set) this.byAccount.set(accountId, (set = new Set()));
    set.add(conn);
  }

  delete(conn: Connection): void {
    this.open.delete(conn);
    if (conn.accountId === null) return;
    const set = this.byAccount.get(conn.accountId);
    set?.delete(conn);
    if (set?.size === 0) this.byAccount.delete(conn.accountId);
  }

  /** The account's open connections here (a copy: sending may close some of them). */
  ofAccount(accountId: number): Connection[] {
    return [...(this.byAccount.get(accountId) ?? [])];
  }

  /** Every open connection (a copy). */
  all(): Connection[] {
    return [...this.open];
  }

  /** Every authenticated connection (a copy). */
  authenticated(): Connection[] {
    return [...this.byAccount.values()].flatMap((set) => [...set]);
  }

  get size(): number {
    return this.open.size;
  }

  /** How many open connections have authenticated. */
  get authenticatedCount(): number {
    let n = 0;
    for (const set of this.byAccount.values()) n += set.size;
    return n;
  }
}
