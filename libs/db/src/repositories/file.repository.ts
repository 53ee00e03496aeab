import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Account } from '../entities/account.entity';
import { StoredFile } from '../entities/file.entity';
import { Relation } from '../entities/relation.entity';
import type { FileRepository, NewFile } from '../ports/files';
import { rows, unexpected } from './sql';
import { joinWork } from './unit-of-work';

/**
 * The orphan predicate of docs/data-model.md §2.7, matching the two partial indexes of the initial
 * migration (`file_orphan_relation_idx`, `file_orphan_account_idx`).
 */
const ORPHAN = `((purpose in ('message', 'group_avatar') and relation_id is null)
  or (purpose = 'account_avatar' and account_id is null))`;

/**
 * Uploaded files (docs/data-model.md §2.7). Replacing an avatar detaches the old row in the same
 * transaction that records the new one, so the old row is an orphan from the commit on:
 * whether the caller then deletes its object or crashes first, the clean-up job finds it
 * (docs/pitfalls.md §20).
 */
export class PgFileRepository implements FileRepository {
  constructor(private readonly root: EntityManager) {}

  private get em(): EntityManager {
    return joinWork(this.root);
  }

  findById(id: number): Promise<StoredFile | null> {
    return this.em.findOne(StoredFile, { id });
  }

  listByRelation(relationId: number): Promise<StoredFile[]> {
    return this.em.find(StoredFile, { relationId }, { orderBy: { createAt: 'desc', id: 'desc' } });
  }

  async replaceAccountAvatar(
    accountId: number,
    file: NewFile,
  ): Promise<{ file: StoredFile; previous: StoredFile | null; account: Account } | 'account_gone'> {
    try {
      return await this.em.transactional(async (em) => {
        // Serialises replacements of one account's avatar (one avatar row per account).
        const account = await em.findOne(
          Account,
          { id: accountId },
          { lockMode: LockMode.PESSIMISTIC_WRITE },
        );
        if (!account) return 'account_gone' as const;
        const previous = await em.findOne(StoredFile, { accountId, purpose: 'account_avatar' });
        if (previous) {
          previous.accountId = null;
          // Flushed before the insert: the unique avatar-per-account index must not see two.
          await em.flush();
        }
        const created = em.create(StoredFile, {
          ...file,
          purpose: 'account_avatar',
          relationId: null,
          accountId,
        });
        account.avatar = file.url;
        await em.flush();
        return { file: created, previous, account };
      });
    } catch (err) {
      unexpected('replacing an account avatar', err);
    }
  }

  /**
   * Records a message file uploaded by `uploaderId` to the relation (docs/api.md §11), in the
   * caller's unit of work, which also carries the message. The uploader's setting row is
   * locked first (share), so a quit, an unfriending or a dissolution waits for this commit
   * rather than slipping between the membership check and the record; `not_member` when
   * the uploader is no longer a member.
   */
  async recordMessageFile(
    relationId: number,
    uploaderId: number,
    file: NewFile,
  ): Promise<StoredFile | 'not_member'> {
    try {
      return await this.em.transactional(async (em) => {
        const [member] = await rows(
          em,
          'select 1 from setting where account_id = ? and relation_id = ? for share',
          [uploaderId, relationId],
        );
        if (!member) return 'not_member' as const;
        const created = em.create(StoredFile, {
          ...file,
          purpose: 'message',
          relationId,
          accountId: uploaderId,
        });
        await em.flush();
        return created;
      });
    } catch (err) {
      unexpected('recording a message file', err);
    }
  }

  async replaceGroupAvatar(
    relationId: number,
    uploaderId: number,
    file: NewFile,
  ): Promise<{ file: StoredFile; previous: StoredFile | null } | 'not_group'> {
    try {
      return await this.em.transactional(async (em) => {
        const group = await em.findOne(
          Relation,
          { id: relationId },
          { lockMode: LockMode.PESSIMISTIC_WRITE },
        );
        if (group?.relationType !== 'group') return 'not_group' as const;
        const previous = await em.findOne(StoredFile, { relationId, purpose: 'group_avatar' });
        if (previous) {
          previous.relationId = null;
          await em.flush();
        }
        const created = em.create(StoredFile, {
          ...file,
          purpose: 'group_avatar',
          relationId,
          accountId: uploaderId,
        });
        group.groupAvatar = file.url;
        await em.flush();
        return { file: created, previous };
      });
    } catch (err) {
      unexpected('replacing a group avatar', err);
    }
  }

  /** Orphans after `afterId`, by id (keyset paging: stable while rows are deleted). */
  async orphans(afterId: number, limit: number): Promise<StoredFile[]> {
    const found = await rows<{ id: string }>(
      this.em,
      `select id from file where id > ? and ${ORPHAN} order by id limit ?`,
      [afterId, limit],
    );
    if (!found.length) return [];
    return this.em.find(
      StoredFile,
      { id: { $in: found.map((r) => Number(r.id)) } },
      { orderBy: { id: 'asc' } },
    );
  }

  async countOrphans(): Promise<number> {
    const [row] = await rows<{ n: string }>(
      this.em,
      `select count(*) as n from file where ${ORPHAN}`,
    );
    return Number(row.n);
  }

  /** Deletes the row only while it is still an orphan, so a live file is never removed. */
  async deleteOrphan(id: number): Promise<boolean> {
    const deleted = await rows(
      this.em,
      `delete from file where id = ? and ${ORPHAN} returning id`,
      [id],
    );
    return deleted.length > 0;
  }
}
