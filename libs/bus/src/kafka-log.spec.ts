import { logLevel } from 'kafkajs';
import pino from 'pino';
import { Writable } from 'node:stream';
import { kafkaLogCreator } from './kafka-bus';

/** What kafkajs's entries become in the app's log: one parsed pino line each. */
function capture() {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const write = kafkaLogCreator(pino({ level: 'debug' }, sink))();
  const entry = (namespace: string, level: logLevel, message: string, fields = {}) =>
    write({
      namespace,
      level,
      label: 'ERROR',
      log: { message, timestamp: '', logger: 'kafkajs', ...fields },
    });
  return { lines, entry };
}

describe('kafkaLogCreator', () => {
  it('logs a broker answer kafkajs retries as a warning, any other error as an error', async () => {
    const { lines, entry } = capture();
    entry('Connection', logLevel.ERROR, 'Response InitProducerId(key: 22, version: 1)', {
      error: "The coordinator is loading and hence can't process requests for this group",
    });
    entry('Connection', logLevel.ERROR, 'Response Produce(key: 0, version: 7)', {
      error: 'Not authorized to access topics: [Topic authorization failed]',
    });
    entry('Consumer', logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded', {
      error: "The coordinator is loading and hence can't process requests for this group",
    });
    entry('Producer', logLevel.WARN, 'Limiting retries for the idempotent producer to 5');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'Response InitProducerId(key: 22, version: 1)'],
      [50, 'Response Produce(key: 0, version: 7)'],
      // Outside a single request's answer, the same text means the retries ran out.
      [50, 'Crash: KafkaJSNumberOfRetriesExceeded'],
      [20, 'Limiting retries for the idempotent producer to 5'],
    ]);
  });
});
