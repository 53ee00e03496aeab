import { createCacheAdapters, type RateLimiter } from '@chat/cache';
import { SnowflakeGenerator } from '@chat/ids';
import { createLogger } from '@chat/logger';
import { ErrorCode } from '@chat/protocol';
import { Connection } from '../sockets/connection';
import { testSendDedup } from '../testing/send-dedup';
import { Deferred } from './deferred';
import { SendMessageHandler } from './send-msg.handler';
import { SendRate, SendRateError } from './send-rate';

const log = createLogger({ name: 'send-rate-test', level: 'silent' });

describe('SendRate', () => {
  let clock: number;
  let limiter: RateLimiter;
  let refusals: number;

  beforeEach(() => {
    clock = 1_700_000_000_000;
    limiter = createCacheAdapters({ kind: 'memory', now: () => clock }, log).limiter;
    refusals = 0;
  });

  const rate = (windows: { Count: number; Window: number }[]) =>
    new SendRate(limiter, windows, () => void refusals++);

  it('lets each window’s count through per account, then refuses with 1004 and the wait', async () => {
    const sends = rate([
      { Count: 3, Window: 1000 },
      { Count: 5, Window: 60_000 },
    ]);
    for (let i = 0; i < 3; i++) await sends.take(1);
    const refused = await sends.take(1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SendRateError);
    expect(refused).toMatchObject({ code: ErrorCode.TooManyRequests, retryAfterMs: 1000 });
    expect((refused as Error).message).toMatch(/too many messages from this account/);
    expect(refusals).toBe(1);
    // Another account has its own windows.
    await expect(sends.take(2)).resolves.toBeUndefined();

    // A refusal counts for nothing: the wait it names is enough for the first window...
    clock += 1000;
    await sends.take(1);
    await sends.take(1);
    // ...and then the minute's window is full.
    const later = await sends.take(1).catch((e: unknown) => e);
    expect(later).toMatchObject({ code: ErrorCode.TooManyRequests });
    expect((later as SendRateError).retryAfterMs).toBe(59_000);
  });

  it('asks no limiter when every window is off', async () => {
    const none: RateLimiter = {
      take: () => Promise.reject(new Error('no limiter expected')),
      check: () => Promise.reject(new Error('no limiter expected')),
    };
    await new SendRate(none, []).take(1);
    await new SendRate(none, [{ Count: 0, Window: 1000 }]).take(1);
  });

  it('refuses in the handler before anything is produced, and the same message passes later', async () => {
    const published: string[] = [];
    const cache = createCacheAdapters({ kind: 'memory', now: () => clock }, log);
    const handler = new SendMessageHandler({
      bus: { publish: async (_topic, _key, value) => void published.push(String(value)) },
      membership: cache.membership({ ttlMs: 60_000 }),
      store: {
        members: async () => [1, 2],
        replyTarget: async () => null,
        isLeader: async () => false,
      },
      dedup: testSendDedup(cache.cache, { pollMs: 1 }),
      gate: { check: () => undefined },
      sendRate: new SendRate(cache.limiter, [{ Count: 2, Window: 1000 }]),
      ids: new SnowflakeGenerator({ nodeId: 1 }),
      nodeId: 'gw1',
      log,
    });
    const conn = new Connection(
      'gw1.t.1',
      '127.0.0.1',
      { framesPerSecond: 0, maxBufferedBytes: 1 },
      0,
    );
    const send = async (clientMsgId: string) => {
      const answer = await handler.handle(conn, 1, {
        relation_id: 10,
        msg_content: 'hi',
        client_msg_id: clientMsgId,
      });
      return answer instanceof Deferred ? answer.result : answer;
    };
    await send('m1');
    await send('m2');
    await expect(send('m3')).rejects.toBeInstanceOf(SendRateError);
    expect(published).toHaveLength(2);
    // Refused means not claimed either: the resend after the wait is a new message.
    clock += 1000;
    const ack = (await send('m3')) as { msg_id: number };
    expect(published).toHaveLength(3);
    expect(JSON.parse(published[2])).toMatchObject({ id: ack.msg_id, client_msg_id: 'm3' });
  });
});
