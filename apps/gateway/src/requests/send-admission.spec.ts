import { createCacheAdapters } from '@chat/cache';
import { createLogger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { admitSend } from './send-admission';
import { testSendDedup } from '../testing/send-dedup';
import type { SendDedup } from './send-dedup';

describe('admitSend', () => {
  const log = createLogger({ name: 'test', level: 'silent' });
  const ACK = { msg_id: 7, create_at: '2024-05-01T08:30:00.123Z' };
  let dedup: SendDedup;

  beforeEach(() => {
    const cache = createCacheAdapters({ kind: 'memory' }, log);
    // A claim held by someone else is given up at once here: no case waits for one.
    dedup = testSendDedup(cache.cache, { waitMs: 0, pollMs: 1 });
  });

  /** Whether the key is free: a new claim takes it (and is released again). */
  async function isFree(key: string): Promise<boolean> {
    const found = await dedup.claim(1, key, 'probe');
    if (found.kind !== 'claimed') return false;
    await found.claim.release();
    return true;
  }

  it('admits a member without a client_msg_id', async () => {
    await expect(admitSend(Promise.resolve(true), undefined, log)).resolves.toBeUndefined();
  });

  it('hands a member the claim, or the original ack of a resend', async () => {
    const found = await admitSend(Promise.resolve(true), dedup.claim(1, 'k1', 'c1'), log);
    expect(found?.kind).toBe('claimed');
    if (found?.kind === 'claimed') await found.claim.complete(ACK);
    const resend = await admitSend(Promise.resolve(true), dedup.claim(1, 'k1', 'c2'), log);
    expect(resend).toEqual({ kind: 'original', ack: ACK });
  });

  it('refuses a non-member with 2009 and releases the claim it took', async () => {
    await expect(
      admitSend(Promise.resolve(false), dedup.claim(1, 'k2', 'c1'), log),
    ).rejects.toMatchObject({ code: 2009 });
    expect(await isFree('k2')).toBe(true);
  });

  it('refuses a non-member with 2009 even when the key holds an ack of an earlier send', async () => {
    const first = await dedup.claim(1, 'k3', 'c1');
    if (first.kind === 'claimed') await first.claim.complete(ACK);
    await expect(
      admitSend(Promise.resolve(false), dedup.claim(1, 'k3', 'c2'), log),
    ).rejects.toMatchObject({ code: 2009 });
  });

  it('answers 2009 before a claim that failed (membership is checked first)', async () => {
    const busy = await dedup.claim(1, 'k4', 'c1');
    expect(busy.kind).toBe('claimed');
    // Held by another send: this claim gives up with 1005.
    const claiming = dedup.claim(1, 'k4', 'c2');
    await expect(admitSend(Promise.resolve(false), claiming, log)).rejects.toMatchObject({
      code: 2009,
    });
    const member = await admitSend(Promise.resolve(true), dedup.claim(1, 'k4', 'c3'), log).catch(
      (err: { code?: number }) => err.code,
    );
    expect(member).toBe(1005);
  });

  it('passes on a failed membership check, releasing the claim', async () => {
    const failure = new InfrastructureError('redis: membership version failed', new Error('down'));
    await expect(admitSend(Promise.reject(failure), dedup.claim(1, 'k5', 'c1'), log)).rejects.toBe(
      failure,
    );
    expect(await isFree('k5')).toBe(true);
  });
});
