/** Group notices (docs/api.md §13, docs/data-model.md §2.9) as the domain sees them. */
import type { MsgExtend } from '../entities/msg-extend';

export interface NoticeRecord {
  id: number;
  relationId: number;
  msgContent: string;
  msgExpand: MsgExtend | null;
  /** The last author; null once that account was deleted. */
  accountId: number | null;
  /** Time of creation or of the last update. */
  createAt: Date;
}

export interface NoticeRepository {
  /** Time now; `group_gone` when the group was dissolved meanwhile. */
  create(input: {
    relationId: number;
    authorId: number;
    msgContent: string;
    msgExpand: MsgExtend | null;
  }): Promise<NoticeRecord | 'group_gone'>;
  /**
   * Replaces content and extension, sets the author and the time to now; null when no
   * notice `id` exists in `relationId` (docs/pitfalls.md §10).
   */
  update(input: {
    id: number;
    relationId: number;
    authorId: number;
    msgContent: string;
    msgExpand: MsgExtend | null;
  }): Promise<NoticeRecord | null>;
  /** The group's notices, newest first. */
  listOf(relationId: number): Promise<NoticeRecord[]>;
  /** False when no notice `id` exists in `relationId`. */
  delete(id: number, relationId: number): Promise<boolean>;
}
