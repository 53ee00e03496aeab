import { PassThrough } from 'node:stream';
import { createLogger } from './create-logger';

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n')));
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with the name, level and fields', async () => {
    const { stream, lines } = capture();
    const log = createLogger({ name: 'api', destination: stream });
    log.info({ accountId: 7 }, 'socket authenticated');
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      name: 'api',
      level: 30,
      accountId: 7,
      msg: 'socket authenticated',
    });
  });

  it('never writes tokens or passwords', async () => {
    const { stream, lines } = capture();
    const log = createLogger({ name: 'api', destination: stream });
    log.info({ password: 'hunter22', body: { token: 'abc.def' } }, 'login');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).not.toContain('hunter22');
    expect(lines[0]).not.toContain('abc.def');
    expect(JSON.parse(lines[0]).password).toBe('[redacted]');
  });

  it('drops lines below the configured level', async () => {
    const { stream, lines } = capture();
    const log = createLogger({ name: 'api', level: 'warn', destination: stream });
    log.info('hidden');
    log.warn('shown');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['shown']);
  });
});
