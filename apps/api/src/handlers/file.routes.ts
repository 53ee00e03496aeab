import type { FileService } from '@chat/domain';
import { ErrorCode, InvalidInputError, type FileSchemas } from '@chat/protocol';
import { route, type AnyRoute, type UploadedFile } from '../http/route';

/** Upload limits of docs/api.md §1.5 (`Rule.BiggestImageSize`, `Rule.BiggestFileSize`). */
export interface UploadLimits {
  maxImageBytes: number;
  maxFileBytes: number;
}

/** The runner answers 1001 before a multipart handler runs without its file. */
function required(file: UploadedFile | undefined): UploadedFile {
  if (!file) throw new InvalidInputError('file: is required');
  return file;
}

/** docs/api.md §12: the file area. */
export function fileRoutes(files: FileService, s: FileSchemas, limits: UploadLimits): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/api/file/getall',
      auth: 'account',
      tag: 'file',
      summary: 'Files uploaded to a conversation, newest first',
      // JSON body, or the query string (docs/api.md §12).
      from: 'both',
      input: s.getAll.input,
      reply: s.getAll.reply,
      errors: [ErrorCode.PermissionDenied],
      handle: ({ input, caller }) => files.getAll(caller.accountId, input.relation_id),
    }),
    route({
      method: 'post',
      path: '/api/file/avatar',
      auth: 'account',
      tag: 'file',
      summary: 'Replace the caller’s avatar, or a group’s (relation_id)',
      from: 'multipart',
      input: s.avatar.fields,
      upload: { field: 'file', accept: 'image', ...limits },
      reply: s.avatar.reply,
      limit: 'upload',
      errors: [
        ErrorCode.FileTooLarge,
        ErrorCode.FileStoreFailed,
        ErrorCode.RelationNotFound,
        ErrorCode.NotGroupMember,
      ],
      handle: ({ input, caller, file }) =>
        files.uploadAvatar(caller.accountId, input.relation_id, required(file)),
    }),
    route({
      method: 'post',
      path: '/api/msg/file',
      auth: 'account',
      tag: 'message',
      summary: 'Send a file message (an image, or any other file)',
      description:
        'Every member receives it as a send_msg push; it is in the history once stored, normally within milliseconds.',
      from: 'multipart',
      input: s.messageFile.fields,
      upload: { field: 'file', accept: 'any', ...limits },
      reply: s.messageFile.reply,
      limit: 'upload',
      errors: [
        ErrorCode.PermissionDenied,
        ErrorCode.MessageNotFound,
        ErrorCode.ReplyTargetElsewhere,
        ErrorCode.ReplyTargetRevoked,
        ErrorCode.FileTooLarge,
        ErrorCode.FileStoreFailed,
      ],
      handle: ({ input, caller, file }) =>
        files.uploadMessageFile(
          caller.accountId,
          input.relation_id,
          input.rly_msg_id,
          required(file),
        ),
    }),
    route({
      method: 'post',
      path: '/api/file/details',
      auth: 'account',
      tag: 'file',
      summary: 'One file',
      // The query string or the JSON body (docs/api.md §12).
      from: 'both',
      input: s.details.input,
      reply: s.details.reply,
      errors: [ErrorCode.FileNotFound, ErrorCode.PermissionDenied],
      handle: ({ input, caller }) => files.details(caller.accountId, input.file_id),
    }),
  ];
}
