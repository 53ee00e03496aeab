export { closeInOrder, type Closable } from './close-in-order';
export {
  cacheConfig,
  busConfig,
  jobQueueConfig,
  blobStoreConfig,
  consumerBusConfig,
  databaseConfig,
  mailConfig,
  pushConfig,
  tokenSettings,
  LOCAL_FILES_PATH,
  requireDatabaseUrl,
} from './adapter-configs';
export { runMain, type Running } from './run-main';
export { RoleKit, startRole, type SharedPorts } from './role-kit';
export { roleOps, type RoleOps, type RoleOpsOptions } from './role-ops';
export {
  createMetricsRegistry,
  instrumentBatches,
  registerQueueDepth,
  checkReadiness,
  OpsEndpoints,
  SharedOps,
  startOpsServer,
  registerConsumerLag,
  dependencyChecks,
  type QueueCounts,
  type Registry,
  type Readiness,
  type ReadinessCheck,
  type MetricsSource,
  type OpsHost,
  type OpsReply,
  type OpsServer,
  type Pingable,
  type ProbedServices,
} from './ops';
export { batchFigures, readRecords, type ReadValue } from './batches';
export { GroupCommit } from './group-commit';
export { clientAddress, plainAddress, rateKeyOfAddress } from './client-address';
export { DeadLetters, type DeadLetter } from './dead-letters';
