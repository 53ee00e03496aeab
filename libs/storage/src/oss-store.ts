import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import OSS from 'ali-oss';
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

export interface OssStoreOptions {
  /**
   * OSS endpoint (`AliyunOSS.Endpoint`): a host such as `oss-cn-hangzhou.aliyuncs.com`
   * (reached over HTTPS), or a full `http(s)://host:port` URL.
   */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  bucket: string;
  /** Prefix of every object name (`AliyunOSS.BasePath`, e.g. `chat/`). */
  basePath: string;
  /** Public URL of the bucket (`AliyunOSS.BucketUrl`); default `https://<bucket>.<endpoint host>`. */
  bucketUrl?: string;
  /** Per-request timeout of the client, ms. */
  timeoutMs?: number;
}

/** ali-oss error fields this adapter reads (its errors are plain objects with these). */
interface OssError {
  name?: string;
  code?: string;
  status?: number;
}

/**
 * Aliyun OSS through ali-oss (V1 signatures). Object names are `basePath + key`; the URL
 * handed out is public (`bucketUrl` or the bucket's virtual host), so the bucket (or the
 * prefix) must allow public reads, as the reference server's did.
 */
export class OssStore implements BlobStore {
  private readonly client: OSS;
  private readonly prefix: string;
  private readonly publicBase: string;
  // Own agents, so `close` can drop the keep-alive sockets (ali-oss shares global ones).
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private closed = false;

  constructor(
    opts: OssStoreOptions,
    private readonly log: Logger,
  ) {
    const hasScheme = /^https?:\/\//i.test(opts.endpoint);
    this.client = new OSS({
      endpoint: opts.endpoint,
      accessKeyId: opts.accessKeyId,
      accessKeySecret: opts.accessKeySecret,
      bucket: opts.bucket,
      // A bare host means production: HTTPS. A full URL keeps its own scheme.
      secure: !hasScheme,
      timeout: opts.timeoutMs ?? 60_000,
      // Not in @types/ali-oss, but read by the client (lib/client.js).
      ...({ agent: this.agent, httpsAgent: this.httpsAgent } as object),
    });
    this.prefix = opts.basePath.replace(/^\/+/, '');
    const host = hasScheme ? new URL(opts.endpoint).host : opts.endpoint.replace(/\/+$/, '');
    this.publicBase = opts.bucketUrl ?? `https://${opts.bucket}.${host}`;
  }

  /** The object name in the bucket: `basePath` + key. */
  nameOf(key: string): string {
    return `${this.prefix}${checkKey(key)}`;
  }

  urlOf(key: string): string {
    return joinUrl(this.publicBase, this.nameOf(key));
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions): Promise<StoredObject> {
    this.ensureOpen();
    const name = this.nameOf(key);
    try {
      if (Buffer.isBuffer(body)) {
        if (body.length !== options.size) {
          throw new SizeMismatchError(options.size, body.length);
        }
        // A Buffer is sent with Content-MD5, so OSS refuses a body damaged on the way.
        await this.client.put(name, body, { mime: options.contentType });
      } else {
        // The guard aborts the request as soon as the body proves longer or shorter than
        // the Content-Length it announced, instead of leaving OSS waiting for bytes.
        const guard = sizeGuard(options.size);
        let mismatch: SizeMismatchError | undefined;
        guard.once('error', (e) => {
          if (e instanceof SizeMismatchError) mismatch = e;
        });
        // pipeline forwards a failing source to the guard, which ali-oss is reading.
        pipeline(body, guard).catch(() => undefined);
        try {
          await this.client.putStream(name, guard, {
            mime: options.contentType,
            contentLength: options.size,
          } as OSS.PutStreamOptions);
        } catch (err) {
          // ali-oss reports the aborted upload as its own request error.
          throw mismatch ?? err;
        }
      }
    } catch (err) {
      if (err instanceof SizeMismatchError) {
        throw new InfrastructureError(`oss: put ${name}: ${err.message}`, err, false);
      }
      throw this.wrap(`put ${name}`, err);
    }
    this.log.debug({ key: name, bytes: options.size }, 'object stored');
    return { key, url: this.urlOf(key) };
  }

  async delete(key: string): Promise<void> {
    this.ensureOpen();
    const name = this.nameOf(key);
    try {
      // OSS answers 204 for a missing object as well; a 404 (NoSuchKey) means the same.
      await this.client.delete(name);
    } catch (err) {
      if ((err as OssError).status === 404 && (err as OssError).code === 'NoSuchKey') return;
      throw this.wrap(`delete ${name}`, err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.agent.destroy();
    this.httpsAgent.destroy();
  }

  private ensureOpen(): void {
    if (this.closed) throw new InfrastructureError('oss: closed', undefined, false);
  }

  /** Network failures, timeouts, throttling and 5xx can succeed when retried. */
  private wrap(what: string, err: unknown): InfrastructureError {
    const e = (err ?? {}) as OssError;
    const status = e.status ?? -1;
    const retryable = status < 0 || status >= 500 || status === 429 || /Timeout/.test(e.name ?? '');
    return new InfrastructureError(
      `oss: ${what} failed (${e.code ?? e.name ?? 'error'}, status ${status})`,
      err,
      retryable,
    );
  }
}
