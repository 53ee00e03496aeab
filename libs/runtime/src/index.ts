export { closeInOrder, type Closable } from './close-in-order';
export {
  cacheConfig,
  busConfig,
  jobQueueConfig,
  blobStoreConfig,
  LOCAL_FILES_PATH,
  requireDatabaseUrl,
} from './adapter-configs';
export { runMain, type Running } from './run-main';
