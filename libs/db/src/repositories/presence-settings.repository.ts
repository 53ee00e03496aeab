import type { EntityManager } from '@mikro-orm/postgresql';
import type { PresenceSettingsRepository } from '../ports/presence-settings';
import { rows } from './sql';

/** Who may see whose presence, and who hides it (docs/protocol.md §3.5, §3.6). */
export class PgPresenceSettingsRepository implements PresenceSettingsRepository {
  constructor(private readonly em: EntityManager) {}

  async visible(viewerId: number, accountIds: number[]): Promise<Map<number, boolean>> {
    if (accountIds.length === 0) return new Map();
    const found = await rows<{ id: string; presence_hidden: boolean }>(
      this.em,
      `select a.id, a.presence_hidden from account a
        where a.id = any(?::bigint[])
          and exists (select 1 from setting mine join setting theirs using (relation_id)
                       where mine.account_id = ? and theirs.account_id = a.id)`,
      [`{${accountIds.join(',')}}`, viewerId],
    );
    return new Map(found.map((r) => [Number(r.id), r.presence_hidden]));
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
