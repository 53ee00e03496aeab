import { Writable } from 'node:stream';
import { createLogger } from '@chat/logger';
import { createBus } from './create-bus';
import { KafkaBus } from './kafka-bus';
import { MemoryBus } from './memory-bus';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, log: createLogger({ name: 'bus-test', level: 'info', destination }) };
}

describe('createBus', () => {
  it('builds the in-process bus for kind memory and logs that choice', async () => {
    const { lines, log } = capturingLogger();
    const bus = createBus({ kind: 'memory', partitions: 3 }, log);
    expect(bus).toBeInstanceOf(MemoryBus);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'bus adapter', adapter: 'memory' }),
    );
    await bus.close();
  });

  it('builds the Kafka bus for kind kafka without connecting yet', async () => {
    const { lines, log } = capturingLogger();
    const bus = createBus(
      {
        kind: 'kafka',
        brokers: ['127.0.0.1:1'],
        clientId: 'test',
        topicPrefix: 'p.',
        partitions: 3,
        replicationFactor: 1,
      },
      log,
    );
    expect(bus).toBeInstanceOf(KafkaBus);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'bus adapter', adapter: 'kafka' }));
    await bus.close();
  });
});
