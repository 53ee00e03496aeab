import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  GroupMemberRow,
  GroupRecord,
  GroupRepository,
  GroupSettingRow,
  RelationRole,
} from '../ports/groups';
import { escapeLike } from '../search-grams';
import { FOREIGN_KEY_VIOLATION, rows, sqlState, unexpected } from './sql';
import { joinWork } from './unit-of-work';

interface RawSetting {
  relation_id: string;
  group_name: string;
  group_description: string;
  group_avatar: string;
  nick_name: string;
  is_not_disturb: boolean;
  is_pin: boolean;
  pin_time: Date | string;
  is_show: boolean;
  last_show: Date | string;
}

const SETTING_COLUMNS = `s.relation_id, r.group_name, r.group_description, r.group_avatar,
  s.nick_name, s.is_not_disturb, s.is_pin, s.pin_time, s.is_show, s.last_show`;

function settingRow(r: RawSetting): GroupSettingRow {
  return {
    group: {
      id: Number(r.relation_id),
      name: r.group_name,
      description: r.group_description,
      avatar: r.group_avatar,
    },
    nickName: r.nick_name,
    isNotDisturb: r.is_not_disturb,
    isPin: r.is_pin,
    pinTime: new Date(r.pin_time),
    isShow: r.is_show,
    lastShow: new Date(r.last_show),
  };
}

/**
 * Groups (docs/data-model.md §2.3 group rows, §2.4 settings as membership). Every method that changes
 * the members locks the group's relation row first, so two changes to one group run one
 * after the other and each sees the members the other left.
 */
export class PgGroupRepository implements GroupRepository {
  constructor(private readonly root: EntityManager) {}

  private get em(): EntityManager {
    return joinWork(this.root);
  }

  /**
   * The group row (avatar included, docs/pitfalls.md §19) and the leader's setting in one
   * transaction. `account_gone` when the leader account no longer exists.
   */
  async create(input: {
    leaderId: number;
    name: string;
    description: string;
    avatar: string;
  }): Promise<GroupRecord | 'account_gone'> {
    try {
      return await this.em.transactional(async (em) => {
        const [g] = await rows<{ id: string }>(
          em,
          `insert into relation (relation_type, group_name, group_description, group_avatar)
           values ('group', ?, ?, ?) returning id`,
          [input.name, input.description, input.avatar],
        );
        const id = Number(g!.id);
        await rows(
          em,
          'insert into setting (account_id, relation_id, is_leader) values (?, ?, true)',
          [input.leaderId, id],
        );
        return { id, name: input.name, description: input.description, avatar: input.avatar };
      });
    } catch (err) {
      if (sqlState(err) === FOREIGN_KEY_VIOLATION) return 'account_gone';
      unexpected('creating a group', err);
    }
  }

  /** The account's standing in the relation; null when it has no setting there. */
  async role(accountId: number, relationId: number): Promise<RelationRole | null> {
    const [r] = await rows<{ relation_type: string; is_leader: boolean }>(
      this.em,
      `select r.relation_type, s.is_leader
         from setting s join relation r on r.id = s.relation_id
        where s.account_id = ? and s.relation_id = ?`,
      [accountId, relationId],
    );
    return r ? { isGroup: r.relation_type === 'group', isLeader: r.is_leader } : null;
  }

  async memberIds(relationId: number): Promise<number[]> {
    return memberIdsIn(this.em, relationId);
  }

  async transfer(
    relationId: number,
    fromId: number,
    toId: number,
  ): Promise<{ memberIds: number[] } | 'not_leader' | 'not_member' | 'unchanged'> {
    return this.em.transactional(async (em) => {
      await lockGroup(em, relationId);
      if (!(await isLeader(em, fromId, relationId))) return 'not_leader' as const;
      // The account delete locks its row FOR UPDATE and refuses leaders (API 3006): holding
      // a key-share lock here means the new leader cannot be deleted under our feet.
      await rows(em, 'select 1 from account where id = ? for key share', [toId]);
      const [member] = await rows(
        em,
        'select 1 from setting where account_id = ? and relation_id = ?',
        [toId, relationId],
      );
      if (!member) return 'not_member' as const;
      if (toId === fromId) return 'unchanged' as const;
      // Drop the old leader first: at most one leader per group (setting_one_leader_key).
      await rows(
        em,
        'update setting set is_leader = false where account_id = ? and relation_id = ?',
        [fromId, relationId],
      );
      await rows(
        em,
        'update setting set is_leader = true where account_id = ? and relation_id = ?',
        [toId, relationId],
      );
      return { memberIds: await memberIdsIn(em, relationId) };
    });
  }

  /**
   * Deletes the group; settings, read cursors, messages and notices go through the foreign
   * keys' cascades and files keep a null relation (orphans for the cleanup job, docs/data-model.md §5).
   * The members are read first, inside the transaction.
   */
  async dissolve(
    relationId: number,
    leaderId: number,
  ): Promise<{ memberIds: number[] } | 'not_leader'> {
    return this.em.transactional(async (em) => {
      await lockGroup(em, relationId);
      if (!(await isLeader(em, leaderId, relationId))) return 'not_leader' as const;
      const memberIds = await memberIdsIn(em, relationId);
      await rows(em, `delete from relation where id = ? and relation_type = 'group'`, [relationId]);
      // Its change counter has no foreign key (docs/data-model.md §2.16): gone after it.
      await rows(em, 'delete from relation_change where relation_id = ?', [relationId]);
      return { memberIds };
    });
  }

  async update(relationId: number, name: string, description: string): Promise<boolean> {
    const updated = await rows(
      this.em,
      `update relation set group_name = ?, group_description = ?
        where id = ? and relation_type = 'group' returning id`,
      [name, description, relationId],
    );
    return updated.length > 0;
  }

  /**
   * Adds the listed accounts that are friends of the inviter, looked up by the ordered pair
   * (least, greatest) as friendships are stored (docs/pitfalls.md §18), and not members
   * yet. Result in the order of the request; a repeated id counts once.
   */
  async invite(
    relationId: number,
    inviterId: number,
    accountIds: number[],
  ): Promise<{ added: number[]; memberIds: number[] } | 'not_member' | 'not_group'> {
    return this.em.transactional(async (em) => {
      await lockGroup(em, relationId);
      const role = await roleIn(em, inviterId, relationId);
      if (!role) return 'not_member' as const;
      if (role.relation_type !== 'group') return 'not_group' as const;
      const inserted = await rows<{ account_id: string }>(
        em,
        `insert into setting (account_id, relation_id)
         select w.id, ?::bigint
           from unnest(array[?]::bigint[]) as w(id)
          where w.id <> ?::bigint
            and exists (select 1 from relation f
                         where f.relation_type = 'friend'
                           and f.account1_id = least(w.id, ?::bigint)
                           and f.account2_id = greatest(w.id, ?::bigint))
            and not exists (select 1 from setting m
                             where m.relation_id = ?::bigint and m.account_id = w.id)
          group by w.id
         returning account_id`,
        [relationId, accountIds, inviterId, inviterId, inviterId, relationId],
      );
      const addedSet = new Set(inserted.map((r) => Number(r.account_id)));
      const added = [...new Set(accountIds)].filter((id) => addedSet.has(id));
      return { added, memberIds: await memberIdsIn(em, relationId) };
    });
  }

  async quit(
    relationId: number,
    accountId: number,
  ): Promise<{ remainingIds: number[] } | 'leader' | 'not_member' | 'not_group'> {
    return this.em.transactional(async (em) => {
      await lockGroup(em, relationId);
      const role = await roleIn(em, accountId, relationId);
      if (!role) return 'not_member' as const;
      if (role.relation_type !== 'group') return 'not_group' as const;
      if (role.is_leader) return 'leader' as const;
      // The read cursor goes with the setting (read_cursor_setting_fkey cascades).
      await rows(em, 'delete from setting where account_id = ? and relation_id = ?', [
        accountId,
        relationId,
      ]);
      return { remainingIds: await memberIdsIn(em, relationId) };
    });
  }

  /** By `last_show` ascending (docs/api.md §10, list), then relation id for a stable order. */
  async listOf(accountId: number): Promise<GroupSettingRow[]> {
    const found = await rows<RawSetting>(
      this.em,
      `select ${SETTING_COLUMNS}
         from setting s join relation r on r.id = s.relation_id and r.relation_type = 'group'
        where s.account_id = ?
        order by s.last_show asc, s.relation_id asc`,
      [accountId],
    );
    return found.map(settingRow);
  }

  /** Name contains `name`, case-insensitive, wildcards escaped (docs/api.md §3.1); by name. */
  async searchByName(
    accountId: number,
    name: string,
    page: number,
    pageSize: number,
  ): Promise<{ rows: GroupSettingRow[]; total: number }> {
    const pattern = `%${escapeLike(name)}%`;
    const where = `from setting s join relation r on r.id = s.relation_id and r.relation_type = 'group'
        where s.account_id = ? and r.group_name ilike ? escape '\\'`;
    const em = this.em;
    const [count] = await rows<{ total: string }>(em, `select count(*) as total ${where}`, [
      accountId,
      pattern,
    ]);
    const found = await rows<RawSetting>(
      em,
      `select ${SETTING_COLUMNS} ${where}
        order by r.group_name asc, s.relation_id asc
        limit ? offset ?`,
      [accountId, pattern, pageSize, (page - 1) * pageSize],
    );
    return { rows: found.map(settingRow), total: Number(count?.total ?? 0) };
  }

  /** Leader first, then by account name (and id, for a stable order). */
  async members(relationId: number): Promise<GroupMemberRow[]> {
    const found = await rows<{
      account_id: string;
      name: string;
      avatar: string;
      nick_name: string;
      is_leader: boolean;
      muted_until: Date | string | null;
    }>(
      this.em,
      `select s.account_id, a.name, a.avatar, s.nick_name, s.is_leader,
              case when s.muted_until > now() then s.muted_until end as muted_until
         from setting s join account a on a.id = s.account_id
        where s.relation_id = ?
        order by s.is_leader desc, a.name asc, s.account_id asc`,
      [relationId],
    );
    return found.map((m) => ({
      accountId: Number(m.account_id),
      name: m.name,
      avatar: m.avatar,
      nickName: m.nick_name,
      isLeader: m.is_leader,
      mutedUntil: m.muted_until === null ? null : new Date(m.muted_until),
    }));
  }

  /**
   * Sets (a time) or clears (null) a member's mute, under the group's lock. `not_leader`
   * unless `leaderId` leads the group, `not_member` unless `accountId` is a member.
   */
  async mute(
    relationId: number,
    leaderId: number,
    accountId: number,
    until: Date | null,
  ): Promise<{ memberIds: number[] } | 'not_leader' | 'not_member'> {
    return this.em.transactional(async (em) => {
      await lockGroup(em, relationId);
      if (!(await isLeader(em, leaderId, relationId))) return 'not_leader' as const;
      const updated = await rows(
        em,
        `update setting set muted_until = ?
          where account_id = ? and relation_id = ? returning 1`,
        [until, accountId, relationId],
      );
      if (!updated.length) return 'not_member' as const;
      return { memberIds: await memberIdsIn(em, relationId) };
    });
  }
}

/** Serialises membership changes of one group (a friend relation locks the same way). */
async function lockGroup(em: EntityManager, relationId: number): Promise<void> {
  await rows(em, 'select 1 from relation where id = ? for update', [relationId]);
}

async function roleIn(
  em: EntityManager,
  accountId: number,
  relationId: number,
): Promise<{ relation_type: string; is_leader: boolean } | undefined> {
  const [r] = await rows<{ relation_type: string; is_leader: boolean }>(
    em,
    `select r.relation_type, s.is_leader
       from setting s join relation r on r.id = s.relation_id
      where s.account_id = ? and s.relation_id = ?`,
    [accountId, relationId],
  );
  return r;
}

async function isLeader(em: EntityManager, accountId: number, relationId: number) {
  const [r] = await rows(
    em,
    'select 1 from setting where account_id = ? and relation_id = ? and is_leader',
    [accountId, relationId],
  );
  return r !== undefined;
}

async function memberIdsIn(em: EntityManager, relationId: number): Promise<number[]> {
  const found = await rows<{ account_id: string }>(
    em,
    'select account_id from setting where relation_id = ? order by account_id',
    [relationId],
  );
  return found.map((r) => Number(r.account_id));
}
