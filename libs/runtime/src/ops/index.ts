export {
  createMetricsRegistry,
  instrumentBatches,
  registerQueueDepth,
  type QueueCounts,
  type Registry,
} from './metrics';
export { checkReadiness, type Readiness, type ReadinessCheck } from './readiness';
export { OpsEndpoints, type MetricsSource, type OpsReply } from './ops-endpoints';
export { SharedOps, type OpsHost } from './shared-ops';
export { startOpsServer, type OpsServer } from './ops-server';
export { registerConsumerLag } from './consumer-lag';
export { dependencyChecks, type Pingable, type ProbedServices } from './dependency-probes';
