export { closeInOrder, type Closable } from './close-in-order';
export { cacheConfig, busConfig, jobQueueConfig, requireDatabaseUrl } from './adapter-configs';
export { runMain, type Running } from './run-main';
