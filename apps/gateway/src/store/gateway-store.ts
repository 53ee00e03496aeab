import { AccountRepository, MembershipRepository, type Database } from '@chat/db';
import { InfrastructureError } from '@chat/protocol';

/** What the gateway needs to know about a message being replied to (docs/protocol.md §3.2). */
export interface ReplyTarget {
  relationId: number;
  isRevoke: boolean;
}

/**
 * The gateway's few reads from Postgres: an account's token epoch on a cache miss at auth,
 * member lists on a membership-cache miss, the replied-to message and the reader's cursor. Everything else
 * the gateway does goes to the bus.
 */
export class GatewayStore {
  private readonly accounts: AccountRepository;
  private readonly memberships: MembershipRepository;

  constructor(private readonly db: Pick<Database, 'em'>) {
    this.accounts = new AccountRepository(db.em);
    this.memberships = new MembershipRepository(db.em);
  }

  /** The account's token epoch and owner (read on a token epoch cache miss); null: none. */
  accountTokenEpoch(accountId: number): Promise<{ epoch: number; owner: number } | null> {
    return this.guard('account lookup', () => this.accounts.tokenEpoch(accountId));
  }

  members(relationId: number): Promise<number[]> {
    return this.guard('member list', () => this.memberships.members(relationId));
  }

  async replyTarget(msgId: number): Promise<ReplyTarget | null> {
    const [row] = await this.query<{ relation_id: string; is_revoke: boolean }>(
      'reply target',
      'select relation_id, is_revoke from message where id = ?',
      [msgId],
    );
    return row ? { relationId: Number(row.relation_id), isRevoke: row.is_revoke } : null;
  }

  /** The reader's cursor in the relation (docs/data-model.md §2.5): 0 when there is no row. */
  async readCursor(accountId: number, relationId: number): Promise<number> {
    const [row] = await this.query<{ last_read_msg_id: string }>(
      'read cursor',
      'select last_read_msg_id from read_cursor where account_id = ? and relation_id = ?',
      [accountId, relationId],
    );
    return row ? Number(row.last_read_msg_id) : 0;
  }

  private query<T>(what: string, sql: string, params: unknown[]): Promise<T[]> {
    return this.guard(what, async () => {
      const em = this.db.em.fork();
      return (await em.getConnection().execute(sql, params, 'all')) as T[];
    });
  }

  private async guard<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof InfrastructureError) throw err;
      throw new InfrastructureError(`database: ${what} failed`, err);
    }
  }
}
