import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { numberBigInt } from '../types/number-bigint.type';

export const FILE_PURPOSES = ['message', 'account_avatar', 'group_avatar'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];
export type FileType = 'img' | 'file';

/**
 * An uploaded object (docs/data-model.md §2.7). Named `StoredFile` rather than `File` so it never
 * shadows the global `File` class of Node. A row whose link (`relationId` for message files
 * and group avatars, `accountId` for account avatars) is null is an orphan, deleted with
 * its object by the cleanup job.
 */
export class StoredFile {
  [OptionalProps]?: 'id' | 'createAt';
  id!: number;
  purpose!: FilePurpose;
  /** The uploader's original file name. */
  fileName!: string;
  fileType!: FileType;
  /** Bytes. */
  fileSize!: number;
  /** Object-storage key, needed to delete the object. */
  key!: string;
  url!: string;
  relationId!: number | null;
  /** Uploader, or the avatar's owner. */
  accountId!: number | null;
  createAt!: Date;
}

export const StoredFileSchema = new EntitySchema<StoredFile>({
  class: StoredFile,
  tableName: 'file',
  properties: {
    id: { type: numberBigInt(), primary: true, autoincrement: true },
    purpose: { type: 'text' },
    fileName: { type: 'string', length: 255 },
    fileType: { type: 'text' },
    fileSize: { type: numberBigInt() },
    key: { type: 'string', length: 512 },
    url: { type: 'string', length: 1024 },
    relationId: { type: numberBigInt(), nullable: true },
    accountId: { type: numberBigInt(), nullable: true },
    createAt: { type: 'Date', defaultRaw: 'now()' },
  },
});
