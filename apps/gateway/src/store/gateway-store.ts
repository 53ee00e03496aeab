import {
  AccountRepository,
  MembershipRepository,
  idBoundForTime,
  snowflakeTime,
  toTextArrayLiteral,
  type Database,
} from '@chat/db';
import { InfrastructureError } from '@chat/protocol';
import type { SendKey, SentMessage } from '../requests/sent-lookup';

/** What the gateway needs to know about a message being replied to (docs/protocol.md §3.2). */
export interface ReplyTarget {
  relationId: number;
  isRevoke: boolean;
}

/**
 * For each key, its newest message at or after an id bound: one descent of the index on
 * (account_id, client_msg_id, id) per key.
 */
const NEWEST_SENDS = `
select c.account_id, c.client_msg_id, m.id
from unnest(?::bigint[], ?::text[]) as c(account_id, client_msg_id)
cross join lateral (
  select id from message
  where account_id = c.account_id and client_msg_id = c.client_msg_id and id >= ?
  order by id desc
  limit 1
) m`;

/** Whether any message with a client_msg_id has an id at or past the bound. */
const ANY_SEND_SINCE = `
select exists (select 1 from message where id >= ? and client_msg_id is not null) as found`;

/**
 * The gateway's few reads from Postgres: an account's token epoch on a cache miss at auth,
 * member lists on a membership-cache miss, the replied-to message, the reader's cursor,
 * and resends' originals after the cache lost its dedup claims (docs/send-msg.md).
 * Everything else the gateway does goes to the bus.
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

  /** The newest message of each key created at or after `sinceMs`; none for the others. */
  async newestSends(keys: SendKey[], sinceMs: number): Promise<SentMessage[]> {
    if (keys.length === 0) return [];
    const rows = await this.query<{ account_id: string; client_msg_id: string; id: string }>(
      'resend look-up',
      NEWEST_SENDS,
      [
        `{${keys.map((k) => k.accountId).join(',')}}`,
        toTextArrayLiteral(keys.map((k) => k.clientMsgId)),
        idBoundForTime(sinceMs),
      ],
    );
    return rows.map((r) => ({
      accountId: Number(r.account_id),
      clientMsgId: r.client_msg_id,
      msgId: Number(r.id),
      createAt: snowflakeTime(Number(r.id)).toISOString(),
    }));
  }

  /** Whether any message with a `client_msg_id` was created at or after `sinceMs`. */
  async anySendSince(sinceMs: number): Promise<boolean> {
    const [row] = await this.query<{ found: boolean }>('recent send check', ANY_SEND_SINCE, [
      idBoundForTime(sinceMs),
    ]);
    return row?.found === true;
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
