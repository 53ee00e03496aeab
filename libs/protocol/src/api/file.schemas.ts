import { z } from 'zod';
import { optionalQueryId, queryId } from './fields';
import type { InputLimits } from './schemas';

const time = z.string().meta({ format: 'date-time', example: '2024-05-01T08:30:00.123Z' });
const outId = z.number().int().meta({ example: 42 });

/** File of docs/api.md §3. `account_id` is 0 once the uploader's account is deleted. */
export const FileOut = z
  .object({
    file_id: outId,
    file_name: z.string(),
    file_type: z.enum(['img', 'file']),
    file_size: z.number().int().meta({ description: 'bytes' }),
    url: z.string(),
    account_id: outId,
    create_at: time,
  })
  .meta({ id: 'File' });

/** `relation_id` of an avatar upload: absent, empty or 0 means the caller's own avatar. */
const avatarTarget = optionalQueryId('must be a group id, or 0 for your own avatar');

/** `rly_msg_id` of a file message: absent, empty or 0 means not a reply. */
const replyTarget = optionalQueryId('must be a message id, or 0 for none');

/**
 * The file area of docs/api.md §12, and the file message of §11 (`/api/msg/file`). The avatar upload is multipart: these are its text fields;
 * the file part (`file`) is read and checked by the api's upload handling.
 */
export function fileSchemas(_limits: InputLimits) {
  return {
    getAll: {
      input: z.object({ relation_id: queryId }),
      reply: z.object({ list: z.array(FileOut), total: z.number().int() }),
    },
    avatar: {
      fields: z.object({ relation_id: avatarTarget }),
      reply: z.object({ url: z.string() }),
    },
    details: {
      input: z.object({ file_id: queryId }),
      reply: FileOut,
    },
    messageFile: {
      fields: z.object({
        relation_id: queryId,
        rly_msg_id: replyTarget,
      }),
      reply: z.object({ id: outId, msg_content: z.string(), file_id: outId, create_at: time }),
    },
  };
}

export type FileSchemas = ReturnType<typeof fileSchemas>;
