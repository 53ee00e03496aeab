/** Uploaded files (docs/api.md §12, §14, docs/data-model.md §2.7) as the domain sees them. */
import type { FilePurpose, FileType } from '../entities/file.entity';
import type { AccountRecord } from './accounts';

export interface FileRecord {
  id: number;
  purpose: FilePurpose;
  /** The uploader's original file name. */
  fileName: string;
  fileType: FileType;
  /** Bytes. */
  fileSize: number;
  /** Object-storage key. */
  key: string;
  url: string;
  /** Message files and group avatars: their relation; null once it is deleted. */
  relationId: number | null;
  /** Uploader, or the avatar's owner; null once that account is deleted. */
  accountId: number | null;
  createAt: Date;
}

/** A stored object about to be recorded. */
export interface NewFile {
  fileName: string;
  fileType: FileType;
  fileSize: number;
  key: string;
  url: string;
}

export interface FileRepository {
  findById(id: number): Promise<FileRecord | null>;
  /** Files attached to the relation (message files, the group avatar), newest first. */
  listByRelation(relationId: number): Promise<FileRecord[]>;
  /**
   * In one transaction: detaches the account's current avatar row (its `account_id` set
   * null, which makes it an orphan until its object is gone), records `file` as the
   * account's avatar and sets `account.avatar` to its URL. `account_gone` when the
   * account no longer exists.
   */
  replaceAccountAvatar(
    accountId: number,
    file: NewFile,
  ): Promise<
    { file: FileRecord; previous: FileRecord | null; account: AccountRecord } | 'account_gone'
  >;
  /**
   * The same for a group: detaches the current group avatar row (`relation_id` null),
   * records `file` (uploaded by `uploaderId`) and sets the group's avatar. `not_group` when
   * the relation is gone or is a friendship.
   */
  replaceGroupAvatar(
    relationId: number,
    uploaderId: number,
    file: NewFile,
  ): Promise<{ file: FileRecord; previous: FileRecord | null } | 'not_group'>;
  /**
   * Records a message file of the relation uploaded by `uploaderId`, in the caller's unit
   * of work; the uploader's membership is locked for it. `not_member` when the uploader is
   * no longer a member of the relation.
   */
  recordMessageFile(
    relationId: number,
    uploaderId: number,
    file: NewFile,
  ): Promise<FileRecord | 'not_member'>;
  /** Orphans of docs/data-model.md §2.7 with `id > afterId`, by id, at most `limit`. */
  orphans(afterId: number, limit: number): Promise<FileRecord[]>;
  countOrphans(): Promise<number>;
  /** Deletes the row if it still is an orphan; false when it was not (or is gone). */
  deleteOrphan(id: number): Promise<boolean>;
}
