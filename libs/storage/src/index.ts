export {
  checkKey,
  isValidKey,
  joinUrl,
  MAX_KEY_LENGTH,
  type BlobStore,
  type PutOptions,
  type StoredObject,
} from './blob-store';
export { createBlobStore, type BlobStoreConfig } from './create-blob-store';
export { LocalDiskStore, type LocalDiskStoreOptions } from './local-disk-store';
export { OssStore, type OssStoreOptions } from './oss-store';
export { serveLocalFiles } from './serve-local-files';
export { contentTypeOf, OPAQUE_CONTENT_TYPE } from './content-types';
