import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import {
  checkKey,
  joinUrl,
  type BlobStore,
  type PutOptions,
  type StoredObject,
} from './blob-store';
import { SizeMismatchError, sizeGuard } from './size-guard';

export interface LocalDiskStoreOptions {
  /** Root folder of the objects (created when missing), e.g. `<App.DataDir>/files`. */
  dir: string;
  /** URL under which the api serves `dir` (`serveLocalFiles`), e.g. `http://host:8080/files`. */
  publicBaseUrl: string;
}

/**
 * The embedded file store (docs/architecture.md): one file per key under `dir`, served by the
 * api. A put writes a temporary file under `dir/.tmp` and renames it into place, so a
 * reader never sees half an object and a failed put leaves nothing behind. Keys cannot
 * leave `dir` (`checkKey` refuses `..`, absolute and hidden segments).
 */
export class LocalDiskStore implements BlobStore {
  readonly dir: string;
  private readonly tmpDir: string;
  private closed = false;

  constructor(
    private readonly opts: LocalDiskStoreOptions,
    private readonly log: Logger,
  ) {
    this.dir = path.resolve(opts.dir);
    // Hidden, so neither a key nor the file handler can ever name it.
    this.tmpDir = path.join(this.dir, '.tmp');
  }

  /** Absolute path of a key's file; refuses keys that would resolve outside `dir`. */
  pathOf(key: string): string {
    const full = path.resolve(this.dir, checkKey(key));
    if (!full.startsWith(this.dir + path.sep)) throw new RangeError(`storage: invalid key ${key}`);
    return full;
  }

  urlOf(key: string): string {
    return joinUrl(this.opts.publicBaseUrl, checkKey(key));
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions): Promise<StoredObject> {
    this.ensureOpen();
    const target = this.pathOf(key);
    const tmp = path.join(this.tmpDir, `${randomUUID()}.part`);
    try {
      await mkdir(this.tmpDir, { recursive: true });
      await mkdir(path.dirname(target), { recursive: true });
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(source, sizeGuard(options.size), createWriteStream(tmp, { flags: 'wx' }));
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if (err instanceof SizeMismatchError) {
        throw new InfrastructureError(`local storage: put ${key}: ${err.message}`, err, false);
      }
      throw new InfrastructureError(`local storage: put ${key} failed`, err);
    }
    this.log.debug({ key, bytes: options.size, contentType: options.contentType }, 'object stored');
    return { key, url: this.urlOf(key) };
  }

  async delete(key: string): Promise<void> {
    this.ensureOpen();
    const target = this.pathOf(key);
    try {
      await unlink(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new InfrastructureError(`local storage: delete ${key} failed`, err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private ensureOpen(): void {
    if (this.closed) throw new InfrastructureError('local storage: closed', undefined, false);
  }
}
