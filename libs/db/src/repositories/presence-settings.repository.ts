import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  PresenceGround,
  PresencePair,
  PresenceSettingsRepository,
} from '../ports/presence-settings';
import { boundRows, rows } from './sql';

/**
 * Who may see whose presence, and on what ground, and who hides it (docs/protocol.md §3.5,
 * §3.6).
 */
export class PgPresenceSettingsRepository implements PresenceSettingsRepository {
  constructor(private readonly em: EntityManager) {}

  async grounds(pairs: PresencePair[]): Promise<PresenceGround[]> {
    if (pairs.length === 0) return [];
    // Oneself needs no ground. Per other pair: the friendship first (the pair key, both settings, no block either way),
    // else the smallest group holding both. A friendship changes far less often than a
    // group's members, so a subscription grounded on it is checked again less often.
    const found = await boundRows<{
      viewer: string;
      watched: string;
      presence_hidden: boolean;
      via: string | null;
    }>(
      this.em,
      `select p.viewer, p.watched, a.presence_hidden,
              case when p.viewer = p.watched then null else coalesce(
                (select f.id from relation f
                  where f.relation_type = 'friend'
                    and f.account1_id = least(p.viewer, p.watched)
                    and f.account2_id = greatest(p.viewer, p.watched)
                    and exists (select 1 from setting s
                                 where s.relation_id = f.id and s.account_id = p.viewer)
                    and exists (select 1 from setting s
                                 where s.relation_id = f.id and s.account_id = p.watched)
                    and not exists (select 1 from account_block b
                                     where b.blocker_id = p.viewer and b.blocked_id = p.watched)
                    and not exists (select 1 from account_block b
                                     where b.blocker_id = p.watched and b.blocked_id = p.viewer)),
                (select min(mine.relation_id) from setting mine
                   join setting theirs
                     on theirs.relation_id = mine.relation_id and theirs.account_id = p.watched
                   join relation g on g.id = mine.relation_id and g.relation_type = 'group'
                  where mine.account_id = p.viewer)
              ) end as via
         from unnest(?::bigint[], ?::bigint[]) as p(viewer, watched)
         join account a on a.id = p.watched`,
      [
        `{${pairs.map((p) => p.viewerId).join(',')}}`,
        `{${pairs.map((p) => p.accountId).join(',')}}`,
      ],
    );
    return found
      .filter((r) => r.via !== null || r.viewer === r.watched)
      .map((r) => ({
        viewerId: Number(r.viewer),
        accountId: Number(r.watched),
        relationId: r.via === null ? null : Number(r.via),
        hidden: r.presence_hidden,
      }));
  }

  async hidden(accountIds: number[]): Promise<Map<number, boolean>> {
    if (accountIds.length === 0) return new Map();
    const found = await rows<{ id: string; presence_hidden: boolean }>(
      this.em,
      'select id, presence_hidden from account where id = any(?::bigint[])',
      [`{${accountIds.join(',')}}`],
    );
    return new Map(found.map((r) => [Number(r.id), r.presence_hidden]));
  }

  async setHidden(accountId: number, hidden: boolean): Promise<boolean> {
    const found = await rows(
      this.em,
      'update account set presence_hidden = ? where id = ? returning id',
      [hidden, accountId],
    );
    return found.length > 0;
  }
}
