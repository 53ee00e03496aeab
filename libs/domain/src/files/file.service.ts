import { randomUUID } from 'node:crypto';
import type { FileRecord, FileRepository, NewFile } from '@chat/db';
import type { Logger } from '@chat/logger';
import {
  AppError,
  ErrorCode,
  InvalidInputError,
  PUSH_EVENTS,
  type MessageRecord,
} from '@chat/protocol';
import { findAckedMessage } from '../messages/acked-message';
import type { IdGenerator } from '../messages/system-message';
import type { UnitOfWork } from '../ports';
import { iso } from '../views';
import {
  detectImageType,
  IMAGE_CONTENT_TYPES,
  IMAGE_EXTENSIONS,
  type ImageType,
} from './file-kind';
import type { FileStore, IncomingFile, RelationLookup, ReplyTargets } from './ports';

export interface FileServiceDeps {
  files: FileRepository;
  relations: RelationLookup;
  store: FileStore;
  /** An avatar change and its `update_account` push commit together. */
  work: UnitOfWork;
  /** `Rule.BiggestImageSize`, bytes. */
  maxImageBytes: number;
  /** `Rule.BiggestFileSize`, bytes: the largest message file that is not an image. */
  maxFileBytes: number;
  /** The message a file message replies to. */
  replyTargets: ReplyTargets;
  /** Ids of file messages (snowflakes, as every message id). */
  ids: IdGenerator;
  log: Logger;
}

/** The extension a message file's key keeps from its name (served by it, docs/data-model.md §2.7). */
function keyExtension(name: string): string {
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot).toLowerCase() : '';
  return /^\.[a-z0-9]{1,10}$/.test(ext) ? ext : '';
}

/** File of docs/api.md §3. */
export function fileInfo(f: FileRecord) {
  return {
    file_id: f.id,
    file_name: f.fileName,
    file_type: f.fileType,
    file_size: f.fileSize,
    url: f.url,
    account_id: f.accountId ?? 0,
    create_at: iso(f.createAt),
  };
}

/** The `file_name` column holds 255 characters (docs/data-model.md §2.7). */
function storedName(name: string, fallback: string): string {
  const chars = [...name.trim()];
  return chars.length ? chars.slice(0, 255).join('') : fallback;
}

/** The file area of docs/api.md §12. */
export class FileService {
  constructor(private readonly d: FileServiceDeps) {}

  /** POST /api/file/getall: 2009 unless the caller is a member (docs/pitfalls.md §11). */
  async getAll(callerId: number, relationId: number) {
    if (!(await this.d.relations.isMember(callerId, relationId))) {
      throw new AppError(ErrorCode.PermissionDenied, 'not a member of this conversation');
    }
    const list = (await this.d.files.listByRelation(relationId)).map(fileInfo);
    return { list, total: list.length };
  }

  /**
   * POST /api/file/details: 8002 when missing. A message file is shown only to members of
   * its relation (2009; nobody is a member of a deleted one); avatars to anyone.
   */
  async details(callerId: number, fileId: number) {
    const file = await this.d.files.findById(fileId);
    if (!file) throw new AppError(ErrorCode.FileNotFound);
    if (file.purpose === 'message') {
      const member =
        file.relationId !== null && (await this.d.relations.isMember(callerId, file.relationId));
      if (!member)
        throw new AppError(ErrorCode.PermissionDenied, 'not a member of its conversation');
    }
    return fileInfo(file);
  }

  /**
   * POST /api/msg/file (docs/api.md §11): a file message. Checks in the spec's order, all before
   * anything is stored: 2009 unless a member; the replied-to message 5001 / 5004 / 5003;
   * 8004 past the size of its kind (the api refuses larger bodies while they arrive; this
   * is the rule itself). Then the object is stored (8001) and, in one transaction, the file
   * row and the message's outbox record: the persister stores the message and every member
   * receives its `send_msg` push, as for a message sent on a socket.
   */
  async uploadMessageFile(
    callerId: number,
    relationId: number,
    rlyMsgId: number,
    upload: IncomingFile,
  ) {
    if (!(await this.d.relations.isMember(callerId, relationId))) {
      throw new AppError(ErrorCode.PermissionDenied, 'not a member of this conversation');
    }
    const replyTo = rlyMsgId > 0 ? rlyMsgId : null;
    if (replyTo !== null) await this.checkReplyTarget(replyTo, relationId);
    const image = detectImageType(upload.buffer);
    const limit = image ? this.d.maxImageBytes : this.d.maxFileBytes;
    if (upload.size > limit) {
      throw new AppError(ErrorCode.FileTooLarge, `file too large (at most ${limit} bytes)`);
    }

    const file = await this.storeObject(
      `messages/${relationId}/${randomUUID()}${image ? IMAGE_EXTENSIONS[image] : keyExtension(upload.name)}`,
      upload,
      image ? IMAGE_CONTENT_TYPES[image] : 'application/octet-stream',
      { fileType: image ? 'img' : 'file', fallbackName: 'file' },
    );
    const id = this.d.ids.next();
    const createAt = iso(this.d.ids.timeOf(id));
    const recorded = await this.recordOrDiscard(file, () =>
      this.d.work.run(async (outbox) => {
        const row = await this.d.files.recordMessageFile(relationId, callerId, file);
        if (row === 'not_member') return row;
        const message: MessageRecord = {
          id,
          relation_id: relationId,
          notify_type: 'common',
          msg_type: 'file',
          msg_content: row.url,
          msg_extend: null,
          file_id: row.id,
          account_id: callerId,
          rly_msg_id: replyTo,
          client_msg_id: null,
          create_at: createAt,
        };
        outbox.message(message);
        return row;
      }),
    );
    if (recorded === 'not_member') {
      // Left the conversation between the check and the record.
      await this.discardObject(file.key);
      throw new AppError(ErrorCode.PermissionDenied, 'not a member of this conversation');
    }
    this.d.log.info(
      { relationId, accountId: callerId, fileId: recorded.id, msgId: id },
      'file message stored',
    );
    return { id, msg_content: recorded.url, file_id: recorded.id, create_at: createAt };
  }

  /**
   * 5001 / 5004 / 5003 of docs/api.md §11. A message acked on a socket a moment ago may not be
   * stored yet: a recent missing id is looked up again for about a second (`findAckedMessage`).
   */
  private async checkReplyTarget(rlyMsgId: number, relationId: number): Promise<void> {
    const target = await findAckedMessage(this.d.ids.timeOf(rlyMsgId), () =>
      this.d.replyTargets.state(rlyMsgId),
    );
    if (!target) {
      throw new AppError(ErrorCode.MessageNotFound, 'the message being replied to does not exist');
    }
    if (target.relationId !== relationId) throw new AppError(ErrorCode.ReplyTargetElsewhere);
    if (target.isRevoke) throw new AppError(ErrorCode.ReplyTargetRevoked);
  }

  /**
   * POST /api/file/avatar: the caller's own avatar (`relationId` 0) or a group's. Every
   * check runs before anything is stored; the previous avatar's object is deleted at once,
   * and its row with it, or left as an orphan for the clean-up job when that delete fails
   * (docs/data-model.md §2.7, docs/pitfalls.md §20).
   */
  async uploadAvatar(callerId: number, relationId: number, upload: IncomingFile) {
    const image = detectImageType(upload.buffer);
    if (!image) throw new InvalidInputError('file: must be a JPEG, PNG, GIF or WebP image');
    if (upload.size > this.d.maxImageBytes) throw new AppError(ErrorCode.FileTooLarge);
    if (relationId === 0) return this.accountAvatar(callerId, upload, image);

    const relation = await this.d.relations.relation(relationId);
    if (relation?.relationType !== 'group') {
      throw new AppError(ErrorCode.RelationNotFound, 'no such group');
    }
    if (!(await this.d.relations.isMember(callerId, relationId))) {
      throw new AppError(ErrorCode.NotGroupMember);
    }
    const file = await this.store(`avatars/group/${relationId}`, upload, image);
    const replaced = await this.recordOrDiscard(file, () =>
      this.d.files.replaceGroupAvatar(relationId, callerId, file),
    );
    if (replaced === 'not_group') {
      await this.discardObject(file.key);
      throw new AppError(ErrorCode.RelationNotFound, 'no such group');
    }
    this.d.log.info(
      { relationId, accountId: callerId, fileId: replaced.file.id },
      'group avatar replaced',
    );
    await this.discardPrevious(replaced.previous);
    return { url: replaced.file.url };
  }

  private async accountAvatar(accountId: number, upload: IncomingFile, image: ImageType) {
    const file = await this.store(`avatars/account/${accountId}`, upload, image);
    const replaced = await this.recordOrDiscard(file, () =>
      this.d.work.run(async (outbox) => {
        const replaced = await this.d.files.replaceAccountAvatar(accountId, file);
        if (replaced === 'account_gone') return replaced;
        const { account } = replaced;
        outbox.events([
          {
            key: `account:${accountId}`,
            push: {
              event: PUSH_EVENTS.updateAccount,
              data: {
                account_id: account.id,
                name: account.name,
                gender: account.gender,
                signature: account.signature,
                avatar: account.avatar,
              },
              to: [accountId],
            },
          },
        ]);
        return replaced;
      }),
    );
    if (replaced === 'account_gone') {
      await this.discardObject(file.key);
      throw new AppError(ErrorCode.AccountNotFound);
    }
    this.d.log.info({ accountId, fileId: replaced.file.id }, 'account avatar replaced');
    await this.discardPrevious(replaced.previous);
    return { url: replaced.file.url };
  }

  /** Stores an avatar under a new key (never reused, so caches of old URLs stay right). */
  private store(prefix: string, upload: IncomingFile, image: ImageType): Promise<NewFile> {
    return this.storeObject(
      `${prefix}/${randomUUID()}${IMAGE_EXTENSIONS[image]}`,
      upload,
      IMAGE_CONTENT_TYPES[image],
      { fileType: 'img', fallbackName: `avatar${IMAGE_EXTENSIONS[image]}` },
    );
  }

  /** Stores the object under `key`; 8001 when the store refuses it. */
  private async storeObject(
    key: string,
    upload: IncomingFile,
    contentType: string,
    kind: { fileType: NewFile['fileType']; fallbackName: string },
  ): Promise<NewFile> {
    try {
      const { url } = await this.d.store.put(key, upload.buffer, {
        contentType,
        size: upload.buffer.length,
      });
      return {
        fileName: storedName(upload.name, kind.fallbackName),
        fileType: kind.fileType,
        fileSize: upload.buffer.length,
        key,
        url,
      };
    } catch (err) {
      this.d.log.error({ err, key }, 'storing a file failed');
      throw new AppError(ErrorCode.FileStoreFailed, undefined, { cause: err });
    }
  }

  /** Runs the recording step; if it throws, the just-stored object is deleted again. */
  private async recordOrDiscard<T>(file: NewFile, record: () => Promise<T>): Promise<T> {
    try {
      return await record();
    } catch (err) {
      await this.discardObject(file.key);
      throw err;
    }
  }

  private async discardObject(key: string): Promise<void> {
    try {
      await this.d.store.delete(key);
    } catch (err) {
      // No row refers to it: nothing will find it again; say where it is.
      this.d.log.error({ err, key }, 'unrecorded object could not be deleted');
    }
  }

  /** The replaced avatar: object first, then its (already detached) row. */
  private async discardPrevious(previous: FileRecord | null): Promise<void> {
    if (!previous) return;
    try {
      await this.d.store.delete(previous.key);
      await this.d.files.deleteOrphan(previous.id);
    } catch (err) {
      this.d.log.warn(
        { err, fileId: previous.id, key: previous.key },
        'replaced avatar kept as an orphan for the clean-up job',
      );
    }
  }
}
