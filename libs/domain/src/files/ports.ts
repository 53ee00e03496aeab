/**
 * What the file area needs besides its repository (`FileRepository` of libs/db): object
 * storage, and narrow views of membership and of messages (docs/api.md §12, §14).
 */
import type { Readable } from 'node:stream';
import type { MembershipRepository, MessageState, RelationSummary } from '@chat/db';

/** Object storage as the file area uses it (`BlobStore` of libs/storage). */
export interface FileStore {
  put(
    key: string,
    body: Buffer | Readable,
    options: { contentType: string; size: number },
  ): Promise<{ key: string; url: string }>;
  /** Idempotent: resolves when the object is already gone. */
  delete(key: string): Promise<void>;
}

/** Who may see what: membership of docs/api.md §3.1 and the kind of a relation. */
export interface RelationLookup {
  isMember: MembershipRepository['isMember'];
  relation(relationId: number): Promise<Pick<RelationSummary, 'relationType'> | null>;
}

/** What a reply must know of the message it replies to (docs/api.md §11, `/msg/file`). */
export interface ReplyTargets {
  state(messageId: number): Promise<Pick<MessageState, 'relationId' | 'isRevoke'> | null>;
}

/** An uploaded file as the api hands it over, already read within the size limits. */
export interface IncomingFile {
  /** The client's file name. */
  name: string;
  size: number;
  /** The client's MIME type: informative only, the content decides. */
  mimetype: string;
  buffer: Buffer;
}
