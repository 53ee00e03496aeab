import { createLogger } from '@chat/logger';
import { createJobQueue } from './create-job-queue';
import { describeJobQueueContract } from './job-queue.contract';
import { MemoryJobQueue } from './memory-job-queue';

describeJobQueueContract('memory', (name, retry, log) => new MemoryJobQueue(name, retry, log));

describe('MemoryJobQueue', () => {
  const log = createLogger({ name: 'test', level: 'silent' });

  it('is what createJobQueue builds for the memory kind', async () => {
    const queue = createJobQueue(
      { kind: 'memory' },
      { name: 'email', retry: { maxRetries: 3, firstDelayMs: 5000 } },
      log,
    );
    expect(queue).toBeInstanceOf(MemoryJobQueue);
    expect(queue.name).toBe('email');
    await queue.close();
  });

  it('rejects adds once closed, and closing twice is harmless', async () => {
    const queue = new MemoryJobQueue('email', { maxRetries: 0, firstDelayMs: 0 }, log);
    await queue.close();
    await queue.close();
    await expect(queue.add('x', {})).rejects.toThrow('closed');
  });

  it('refuses job ids BullMQ could not store', async () => {
    const queue = new MemoryJobQueue('email', { maxRetries: 0, firstDelayMs: 0 }, log);
    await expect(queue.add('x', {}, { jobId: '42' })).rejects.toThrow(TypeError);
    await expect(queue.add('x', {}, { jobId: 'a:b' })).rejects.toThrow(TypeError);
    await queue.close();
  });
});
