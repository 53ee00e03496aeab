import type { Logger } from '@chat/logger';
import type { Bus } from './bus';
import { KafkaBus, type KafkaBusConfig } from './kafka-bus';
import { MemoryBus, type MemoryBusConfig } from './memory-bus';

/** Which bus to run (docs/architecture.md, ports and adapters): Kafka when brokers are configured. */
export type BusConfig =
  ({ kind: 'kafka' } & KafkaBusConfig) | ({ kind: 'memory' } & MemoryBusConfig);

/** The one place that picks the bus adapter (docs/development.md §2); logs which one is in use. */
export function createBus(cfg: BusConfig, log: Logger): Bus {
  switch (cfg.kind) {
    case 'kafka': {
      const { kind, ...slice } = cfg;
      log.info({ port: 'bus', adapter: kind, brokers: slice.brokers }, 'bus adapter');
      return new KafkaBus(slice, log);
    }
    case 'memory': {
      const { kind, ...slice } = cfg;
      log.info({ port: 'bus', adapter: kind, partitions: slice.partitions }, 'bus adapter');
      return new MemoryBus(slice, log);
    }
    default: {
      const unknown: never = cfg;
      throw new Error(`unknown bus kind: ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}
