import type { EntityManager } from '@mikro-orm/postgresql';
import { idBoundForTime, snowflakeTime } from '@chat/ids';
import type { MessageLookupRepository, ReplyTarget, SendKey, SentMessage } from '../ports/messages';
import { toTextArrayLiteral } from '../types/text-array.type';
import { rows } from './sql';

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
 * The gateway's reads on its request path (docs/protocol.md §3): small indexed look-ups,
 * each on a fresh fork of its own (the gateway writes nothing, so there is no unit of work
 * to join). Driver errors come out as they are; the gateway names the read that failed.
 */
export class PgMessageLookupRepository implements MessageLookupRepository {
  constructor(private readonly root: EntityManager) {}

  async replyTarget(msgId: number): Promise<ReplyTarget | null> {
    const [row] = await rows<{ relation_id: string; is_revoke: boolean }>(
      this.root.fork(),
      'select relation_id, is_revoke from message where id = ?',
      [msgId],
    );
    return row ? { relationId: Number(row.relation_id), isRevoke: row.is_revoke } : null;
  }

  async isLeader(accountId: number, relationId: number): Promise<boolean> {
    const [row] = await rows<{ is_leader: boolean }>(
      this.root.fork(),
      'select is_leader from setting where account_id = ? and relation_id = ?',
      [accountId, relationId],
    );
    return row?.is_leader ?? false;
  }

  async readCursor(accountId: number, relationId: number): Promise<number> {
    const [row] = await rows<{ last_read_msg_id: string }>(
      this.root.fork(),
      'select last_read_msg_id from read_cursor where account_id = ? and relation_id = ?',
      [accountId, relationId],
    );
    return row ? Number(row.last_read_msg_id) : 0;
  }

  async newestSends(keys: SendKey[], sinceMs: number): Promise<SentMessage[]> {
    if (keys.length === 0) return [];
    const found = await rows<{ account_id: string; client_msg_id: string; id: string }>(
      this.root.fork(),
      NEWEST_SENDS,
      [
        `{${keys.map((k) => k.accountId).join(',')}}`,
        toTextArrayLiteral(keys.map((k) => k.clientMsgId)),
        idBoundForTime(sinceMs),
      ],
    );
    return found.map((r) => ({
      accountId: Number(r.account_id),
      clientMsgId: r.client_msg_id,
      msgId: Number(r.id),
      createAt: snowflakeTime(Number(r.id)).toISOString(),
    }));
  }

  async anySendSince(sinceMs: number): Promise<boolean> {
    const [row] = await rows<{ found: boolean }>(this.root.fork(), ANY_SEND_SINCE, [
      idBoundForTime(sinceMs),
    ]);
    return row?.found === true;
  }
}
