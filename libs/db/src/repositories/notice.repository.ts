import type { EntityManager } from '@mikro-orm/postgresql';
import { GroupNotify } from '../entities/group-notify.entity';
import type { MsgExtend } from '../entities/msg-extend';
import type { NoticeRepository } from '../ports/notices';
import { FOREIGN_KEY_VIOLATION, sqlState, unexpected } from './sql';
import { joinWork } from './unit-of-work';

/** Group notices (docs/data-model.md §2.9). Every lookup is by notice id AND group (docs/pitfalls.md §10). */
export class PgNoticeRepository implements NoticeRepository {
  constructor(private readonly root: EntityManager) {}

  private get em(): EntityManager {
    return joinWork(this.root);
  }

  /** Stored with the time now as `createAt`; `group_gone` when the group was just dissolved. */
  async create(input: {
    relationId: number;
    authorId: number;
    msgContent: string;
    msgExpand: MsgExtend | null;
  }): Promise<GroupNotify | 'group_gone'> {
    const em = this.em;
    try {
      const notice = em.create(GroupNotify, {
        relationId: input.relationId,
        accountId: input.authorId,
        msgContent: input.msgContent,
        msgExpand: input.msgExpand,
        createAt: new Date(),
      });
      await em.flush();
      return notice;
    } catch (err) {
      if (sqlState(err) === FOREIGN_KEY_VIOLATION) return 'group_gone';
      unexpected('creating a notice', err);
    }
  }

  /** Null when no notice `id` exists in `relationId`. */
  async update(input: {
    id: number;
    relationId: number;
    authorId: number;
    msgContent: string;
    msgExpand: MsgExtend | null;
  }): Promise<GroupNotify | null> {
    const em = this.em;
    const notice = await em.findOne(GroupNotify, { id: input.id, relationId: input.relationId });
    if (!notice) return null;
    em.assign(notice, {
      accountId: input.authorId,
      msgContent: input.msgContent,
      msgExpand: input.msgExpand,
      createAt: new Date(),
    });
    await em.flush();
    return notice;
  }

  /** Newest first (index `(relation_id, create_at DESC)`), ties by id. */
  listOf(relationId: number): Promise<GroupNotify[]> {
    return this.em.find(GroupNotify, { relationId }, { orderBy: { createAt: 'desc', id: 'desc' } });
  }

  async delete(id: number, relationId: number): Promise<boolean> {
    return (await this.em.nativeDelete(GroupNotify, { id, relationId })) > 0;
  }
}
