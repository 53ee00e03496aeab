import type { Logger } from '@chat/logger';
import type { BlobStore } from './blob-store';
import { LocalDiskStore } from './local-disk-store';
import { OssStore } from './oss-store';

/**
 * Which adapter backs the file store: Aliyun OSS when all four `AliyunOSS` connection keys
 * are set, else local disk under `App.DataDir` served by the api (docs/architecture.md).
 */
export type BlobStoreConfig =
  | {
      kind: 'oss';
      endpoint: string;
      accessKeyId: string;
      accessKeySecret: string;
      bucket: string;
      basePath: string;
      bucketUrl?: string;
    }
  | { kind: 'local'; dir: string; publicBaseUrl: string };

/** The one place that picks the file-store adapter (docs/development.md §2). */
export function createBlobStore(cfg: BlobStoreConfig, log: Logger): BlobStore {
  switch (cfg.kind) {
    case 'oss': {
      log.info(
        {
          port: 'storage',
          adapter: 'oss',
          endpoint: cfg.endpoint,
          bucket: cfg.bucket,
          basePath: cfg.basePath,
        },
        'file storage adapter',
      );
      return new OssStore(cfg, log);
    }
    case 'local': {
      log.info(
        { port: 'storage', adapter: 'local-disk', dir: cfg.dir, publicBaseUrl: cfg.publicBaseUrl },
        'file storage adapter',
      );
      return new LocalDiskStore(cfg, log);
    }
    default: {
      const unknownKind: never = cfg;
      throw new Error(`unknown file storage kind ${JSON.stringify(unknownKind)}`);
    }
  }
}
