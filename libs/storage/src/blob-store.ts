import type { Readable } from 'node:stream';

export interface PutOptions {
  /**
   * Content-Type of the object. OSS stores and serves it; the local-disk adapter serves
   * by the key's extension (`contentTypeOf`), so keys end with the extension of their content.
   */
  contentType: string;
  /** Exact length of `body` in bytes; a body of another length is refused. */
  size: number;
}

export interface StoredObject {
  /** The key given to `put`, as `delete` expects it. */
  key: string;
  /** Where anyone can read the object (public, no credentials). */
  url: string;
}

/**
 * Object storage for uploaded files (docs/architecture.md: Aliyun OSS, or local disk served by
 * the api). Keys are relative paths of `/`-separated segments made of letters, digits,
 * `.`, `_` and `-`, none starting with `.` (see `checkKey`); each adapter keeps them under
 * its own root (a folder, a key prefix). Failures reject with an `InfrastructureError`,
 * `retryable` when a retry can succeed.
 */
export interface BlobStore {
  /**
   * Stores `body` under `key`, replacing any object with that key. Resolves once the object
   * is durable and readable at the returned URL; on failure nothing readable is left.
   */
  put(key: string, body: Buffer | Readable, options: PutOptions): Promise<StoredObject>;
  /** Removes the object. Idempotent: resolves as well when there is no such object. */
  delete(key: string): Promise<void>;
  /** The public URL the object under `key` has (or would have). No I/O. */
  urlOf(key: string): string;
  /** Releases connections; later calls reject. Safe to call twice. */
  close(): Promise<void>;
}

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** OSS allows 1023 bytes per key; the `file.key` column holds 512 characters (docs/data-model.md §2.7). */
export const MAX_KEY_LENGTH = 400;

/** Whether `key` is a valid object key: the rules of `BlobStore`, at most 400 characters. */
export function isValidKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) return false;
  return key.split('/').every((segment) => SEGMENT.test(segment));
}

/**
 * Refuses keys that could leave the store's root (`..`, absolute paths, backslashes, empty
 * or hidden segments) instead of rewriting them, so two different keys never collide.
 */
export function checkKey(key: string): string {
  if (!isValidKey(key)) {
    throw new RangeError(
      `storage: invalid key ${JSON.stringify(key.slice(0, 80))} (use a/b/c.ext of [A-Za-z0-9._-], no segment starting with ".")`,
    );
  }
  return key;
}

/** `base` + the key with each segment percent-encoded; `base` may end with `/` or not. */
export function joinUrl(base: string, key: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  return `${base.replace(/\/+$/, '')}/${path}`;
}
