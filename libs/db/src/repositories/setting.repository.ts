import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  FriendSettingRecord,
  SettingChange,
  SettingRecord,
  SettingRepository,
} from '../ports/settings';
import { escapeLike } from '../search-grams';
import { rows } from './sql';
import { joinWork } from './unit-of-work';

interface RawSetting {
  relation_id: string;
  relation_type: 'friend' | 'group';
  nick_name: string;
  is_not_disturb: boolean;
  is_pin: boolean;
  pin_time: Date | string;
  is_show: boolean;
  last_show: Date | string;
  group_name: string | null;
  group_description: string | null;
  group_avatar: string | null;
  friend_id: string | null;
  friend_name: string | null;
  friend_avatar: string | null;
}

/**
 * The caller's settings (`s`) with their relation (`r`) and, for friend relations, the
 * other account (`f`; the account itself for the self conversation). Parameter: the
 * account id. A friendship with an account the caller blocked is left out of every list
 * while the block lasts (docs/features.md, Block list).
 */
const FROM = `from setting s
  join relation r on r.id = s.relation_id
  left join account f on r.relation_type = 'friend'
   and f.id = case when r.account1_id = s.account_id then r.account2_id else r.account1_id end
  where s.account_id = ?
    and not exists (select 1 from account_block b
                     where b.blocker_id = s.account_id and b.blocked_id = f.id and f.id <> s.account_id)`;

const COLUMNS = `select s.relation_id, r.relation_type, s.nick_name, s.is_not_disturb, s.is_pin,
  s.pin_time, s.is_show, s.last_show, r.group_name, r.group_description, r.group_avatar,
  f.id as friend_id, f.name as friend_name, f.avatar as friend_avatar`;

function settingRow(r: RawSetting): SettingRecord {
  const relationId = Number(r.relation_id);
  return {
    relationId,
    relationType: r.relation_type,
    nickName: r.nick_name,
    isNotDisturb: r.is_not_disturb,
    isPin: r.is_pin,
    pinTime: new Date(r.pin_time),
    isShow: r.is_show,
    lastShow: new Date(r.last_show),
    friend:
      r.relation_type === 'friend' && r.friend_id !== null
        ? { accountId: Number(r.friend_id), name: r.friend_name!, avatar: r.friend_avatar! }
        : null,
    group:
      r.relation_type === 'group'
        ? {
            id: relationId,
            name: r.group_name!,
            description: r.group_description!,
            avatar: r.group_avatar!,
          }
        : null,
  };
}

const asFriend = (r: RawSetting) => settingRow(r) as FriendSettingRecord;

/** Fixed column names per preference: never built from input. */
const COLUMN_OF = {
  nickName: 'nick_name',
  isPin: 'is_pin',
  isNotDisturb: 'is_not_disturb',
  isShow: 'is_show',
} as const;

/** Settings (docs/data-model.md §2.4) as one account's conversation list, and unfriending (§5). */
export class PgSettingRepository implements SettingRepository {
  constructor(private readonly root: EntityManager) {}

  private get em(): EntityManager {
    return joinWork(this.root);
  }

  /** By `pin_time` ascending, then relation id. */
  async pinned(accountId: number): Promise<SettingRecord[]> {
    const found = await rows<RawSetting>(
      this.em,
      `${COLUMNS} ${FROM} and s.is_pin order by s.pin_time asc, s.relation_id asc`,
      [accountId],
    );
    return found.map(settingRow);
  }

  /** By `last_show` descending, then relation id. */
  async shown(accountId: number): Promise<SettingRecord[]> {
    const found = await rows<RawSetting>(
      this.em,
      `${COLUMNS} ${FROM} and s.is_show order by s.last_show desc, s.relation_id asc`,
      [accountId],
    );
    return found.map(settingRow);
  }

  /** Friend conversations, the self conversation included, by friend name then relation id. */
  async friends(accountId: number): Promise<FriendSettingRecord[]> {
    const found = await rows<RawSetting>(
      this.em,
      `${COLUMNS} ${FROM} and r.relation_type = 'friend' order by f.name asc, s.relation_id asc`,
      [accountId],
    );
    return found.map(asFriend);
  }

  /**
   * Friend name or remark contains `name`, case-insensitive, with `%`, `_` and `\` taken
   * literally (docs/api.md §3.1, docs/pitfalls.md §25, §29). `friend.name` is the account name,
   * never the remark.
   */
  async searchFriends(
    accountId: number,
    name: string,
    page: number,
    pageSize: number,
  ): Promise<{ rows: FriendSettingRecord[]; total: number }> {
    const pattern = `%${escapeLike(name)}%`;
    const where = `${FROM} and r.relation_type = 'friend'
      and (f.name ilike ? escape '\\' or s.nick_name ilike ? escape '\\')`;
    const em = this.em;
    const [count] = await rows<{ total: string }>(em, `select count(*) as total ${where}`, [
      accountId,
      pattern,
      pattern,
    ]);
    const found = await rows<RawSetting>(
      em,
      `${COLUMNS} ${where} order by f.name asc, s.relation_id asc limit ? offset ?`,
      [accountId, pattern, pattern, pageSize, (page - 1) * pageSize],
    );
    return { rows: found.map(asFriend), total: Number(count?.total ?? 0) };
  }

  /**
   * One statement changes the row only when the value differs (`is distinct from`), so two
   * identical concurrent calls report one change. Showing always refreshes `last_show`;
   * pinning stamps `pin_time` when the flag becomes true.
   */
  async update(
    accountId: number,
    relationId: number,
    change: SettingChange,
  ): Promise<'changed' | 'unchanged' | 'missing'> {
    const em = this.em;
    const column = COLUMN_OF[change.field];
    const stamp =
      change.value === true && change.field === 'isPin'
        ? ', pin_time = now()'
        : change.value === true && change.field === 'isShow'
          ? ', last_show = now()'
          : '';
    const always = change.field === 'isShow' && change.value === true;
    const updated = await rows(
      em,
      `update setting set ${column} = ?${stamp}
        where account_id = ? and relation_id = ?${always ? '' : ` and ${column} is distinct from ?`}
        returning 1`,
      always
        ? [change.value, accountId, relationId]
        : [change.value, accountId, relationId, change.value],
    );
    if (updated.length) return 'changed';
    const [exists] = await rows(
      em,
      'select 1 from setting where account_id = ? and relation_id = ?',
      [accountId, relationId],
    );
    return exists ? 'unchanged' : 'missing';
  }

  /**
   * Deletes the friendship: settings, read cursors and messages go through the foreign
   * keys' cascades, files keep a null relation (orphans for the cleanup job, docs/data-model.md §5),
   * and the applications of the pair are deleted so the two may apply again
   * (docs/pitfalls.md §17). The relation row is locked first and its two accounts read
   * before anything is deleted (§4).
   */
  async deleteFriend(
    accountId: number,
    relationId: number,
  ): Promise<{ accountIds: [number, number] } | 'missing' | 'not_party' | 'self'> {
    return this.em.transactional(async (em) => {
      const [r] = await rows<{
        relation_type: string;
        account1_id: string | null;
        account2_id: string | null;
      }>(
        em,
        'select relation_type, account1_id, account2_id from relation where id = ? for update',
        [relationId],
      );
      if (!r || r.relation_type !== 'friend') return 'missing' as const;
      const a1 = Number(r.account1_id);
      const a2 = Number(r.account2_id);
      if (accountId !== a1 && accountId !== a2) return 'not_party' as const;
      if (a1 === a2) return 'self' as const;
      await rows(
        em,
        `delete from application
          where least(account1_id, account2_id) = ? and greatest(account1_id, account2_id) = ?`,
        [a1, a2],
      );
      await rows(em, `delete from relation where id = ? and relation_type = 'friend'`, [
        relationId,
      ]);
      // Its change counter has no foreign key (docs/data-model.md §2.16): gone after it.
      await rows(em, 'delete from relation_change where relation_id = ?', [relationId]);
      return { accountIds: [a1, a2] as [number, number] };
    });
  }
}
