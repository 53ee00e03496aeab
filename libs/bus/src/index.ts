export type {
  Bus,
  BusRecord,
  BatchHandler,
  OutgoingRecord,
  PartitionPosition,
  SubscribeOptions,
  Subscription,
} from './bus';
export { KafkaBus, type KafkaBusConfig } from './kafka-bus';
export { MemoryBus, type MemoryBusConfig } from './memory-bus';
export { createBus, type BusConfig } from './create-bus';
