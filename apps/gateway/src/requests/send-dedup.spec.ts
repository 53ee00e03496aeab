import { createCacheAdapters, type Cache } from '@chat/cache';
import type { SendKey, SentMessage } from '@chat/db';
import { createLogger } from '@chat/logger';
import { DEDUP_EPOCH_KEY, DedupEpoch } from './dedup-epoch';
import { DEFAULT_SEND_DEDUP, SendDedup, type DedupResult, type SendAck } from './send-dedup';
import { SentLookup } from './sent-lookup';

const log = createLogger({ name: 'test', level: 'silent' });
const WINDOW_MS = 60_000;
const ME = 1;

/**
 * Messages as Postgres would hold them, behind the same interface as `GatewayStore`
 * (its SQL is covered against the database in gateway.int.spec.ts).
 */
class StoredMessages {
  readonly rows: SentMessage[] = [];
  readonly asked: SendKey[][] = [];
  failing = false;

  add(key: SendKey, ack: SendAck): void {
    this.rows.push({ ...key, msgId: ack.msg_id, createAt: ack.create_at });
  }

  async newestSends(keys: SendKey[], sinceMs: number): Promise<SentMessage[]> {
    this.asked.push(keys);
    if (this.failing) throw new Error('database down');
    return keys.flatMap((k) => {
      const mine = this.rows
        .filter(
          (r) =>
            r.accountId === k.accountId &&
            r.clientMsgId === k.clientMsgId &&
            Date.parse(r.createAt) >= sinceMs,
        )
        .sort((a, b) => b.msgId - a.msgId);
      return mine.slice(0, 1);
    });
  }

  async anySendSince(sinceMs: number): Promise<boolean> {
    return this.rows.some((r) => Date.parse(r.createAt) >= sinceMs);
  }
}

describe('SendDedup', () => {
  let clock: number;
  const now = () => clock;
  let cache: Cache;
  let stored: StoredMessages;
  let nextId: number;

  /** One gateway's dedup over the shared cache and database. */
  async function gateway(shared: Cache = cache): Promise<SendDedup> {
    const epoch = new DedupEpoch({
      cache: shared,
      windowMs: WINDOW_MS,
      sentSince: (sinceMs) => stored.anySendSince(sinceMs),
      log,
      now,
    });
    await epoch.start();
    return new SendDedup(
      { cache: shared, epoch, sent: new SentLookup(stored), now },
      { ...DEFAULT_SEND_DEDUP, windowMs: WINDOW_MS, pollMs: 1 },
    );
  }

  /** A send that went through: claimed, acked, and stored by the persister. */
  async function send(dedup: SendDedup, clientMsgId: string): Promise<SendAck> {
    const result = await dedup.claim(ME, clientMsgId, 'conn-1');
    if (result.kind !== 'claimed') throw new Error(`expected a claim, got ${result.kind}`);
    const ack = { msg_id: ++nextId, create_at: new Date(clock).toISOString() };
    await result.claim.complete(ack);
    stored.add({ accountId: ME, clientMsgId }, ack);
    return ack;
  }

  /** What Redis holds after FLUSHALL: neither the claims nor the epoch. */
  async function flush(...clientMsgIds: string[]): Promise<void> {
    for (const id of clientMsgIds) await cache.del(`send-dedup:${ME}:${id}`);
    await cache.del(DEDUP_EPOCH_KEY);
  }

  const original = (r: DedupResult) => (r.kind === 'original' ? r.ack : undefined);

  beforeEach(() => {
    clock = Date.parse('2026-06-01T00:00:00Z');
    nextId = 1000;
    cache = createCacheAdapters({ kind: 'memory', now }, log).cache;
    stored = new StoredMessages();
  });

  it('answers a resend within the window from the cache alone, asking Postgres nothing', async () => {
    const dedup = await gateway();
    const ack = await send(dedup, 'k1');
    clock += WINDOW_MS - 1;
    expect(original(await dedup.claim(ME, 'k1', 'conn-2'))).toEqual(ack);
    expect(stored.asked).toEqual([]);
  });

  it('binds the key to the id of a publish that failed, for every resend until one is acked', async () => {
    const dedup = await gateway();
    const first = await dedup.claim(ME, 'k1', 'conn-1');
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    expect(first.reuse).toBeUndefined();
    const ack = { msg_id: 77, create_at: new Date(clock).toISOString() };
    await first.claim.unsure(ack);

    clock += WINDOW_MS - 1;
    const again = await dedup.claim(ME, 'k1', 'conn-2');
    expect(again).toMatchObject({ kind: 'claimed', reuse: ack });
    if (again.kind !== 'claimed') throw new Error('expected a claim');
    // A resend that fails before publishing leaves the id bound: the first may be stored.
    await again.claim.release();
    const third = await dedup.claim(ME, 'k1', 'conn-2');
    expect(third).toMatchObject({ kind: 'claimed', reuse: ack });
    if (third.kind !== 'claimed') throw new Error('expected a claim');
    await third.claim.complete(ack);
    expect(original(await dedup.claim(ME, 'k1', 'conn-3'))).toEqual(ack);
    expect(stored.asked).toEqual([]);
  });

  it('treats a reuse after the window as a new message', async () => {
    const dedup = await gateway();
    await send(dedup, 'k1');
    clock += WINDOW_MS;
    expect((await dedup.claim(ME, 'k1', 'conn-1')).kind).toBe('claimed');
    expect(stored.asked).toEqual([]);
  });

  it('after the cache lost its claims, answers a resend with the stored original and puts it back', async () => {
    const dedup = await gateway();
    const ack = await send(dedup, 'k1');
    clock += 1000;
    await flush('k1');

    expect(original(await dedup.claim(ME, 'k1', 'conn-2'))).toEqual(ack);
    expect(stored.asked).toEqual([[{ accountId: ME, clientMsgId: 'k1' }]]);
    // Back in the cache for the rest of its window: the next resend needs no look-up...
    expect(original(await dedup.claim(ME, 'k1', 'conn-3'))).toEqual(ack);
    expect(stored.asked).toHaveLength(1);
    // ...and once the original's window is over, the key is free again.
    clock += WINDOW_MS - 1000;
    expect((await dedup.claim(ME, 'k1', 'conn-3')).kind).toBe('claimed');
  });

  it('after a loss, claims a key whose stored message is older than the window', async () => {
    const dedup = await gateway();
    await send(dedup, 'old');
    clock += WINDOW_MS + 1;
    await send(dedup, 'recent');
    await flush('old', 'recent');
    expect((await dedup.claim(ME, 'old', 'conn-1')).kind).toBe('claimed');
    expect(stored.asked).toEqual([[{ accountId: ME, clientMsgId: 'old' }]]);
  });

  it('after a loss, checks each new key once and makes a concurrent resend wait for the first', async () => {
    const dedup = await gateway();
    await send(dedup, 'before');
    await flush('before');
    const first = dedup.claim(ME, 'fresh', 'conn-1');
    const second = dedup.claim(ME, 'fresh', 'conn-2');
    const claimed = await first;
    if (claimed.kind !== 'claimed') throw new Error('the first send must hold the claim');
    expect(stored.asked).toEqual([[{ accountId: ME, clientMsgId: 'fresh' }]]);
    // The second waits for the first's ack, and asks Postgres nothing itself.
    const ack = { msg_id: 77, create_at: new Date(clock).toISOString() };
    await claimed.claim.complete(ack);
    expect(original(await second)).toEqual(ack);
    expect(stored.asked).toHaveLength(1);
  });

  it('trusts claims without look-ups when nothing was sent within the window before the loss', async () => {
    const dedup = await gateway();
    await send(dedup, 'long-ago');
    clock += WINDOW_MS;
    await flush('long-ago');
    expect((await dedup.claim(ME, 'k1', 'conn-1')).kind).toBe('claimed');
    expect((await dedup.claim(ME, 'long-ago', 'conn-1')).kind).toBe('claimed');
    expect(stored.asked).toEqual([]);
  });

  it('notices a loss another gateway noticed first (a new epoch) and checks Postgres too', async () => {
    const [one, two] = [await gateway(), await gateway()];
    const ack = await send(one, 'k1');
    await flush('k1');
    // The other gateway's next claim writes a new epoch.
    await send(two, 'k2');
    expect(await cache.get(DEDUP_EPOCH_KEY)).toEqual(expect.any(String));

    expect(original(await one.claim(ME, 'k1', 'conn-1'))).toEqual(ack);
  });

  it('checks new keys for one window after the loss, then trusts the cache again', async () => {
    const dedup = await gateway();
    await send(dedup, 'k1');
    await flush('k1');
    await dedup.claim(ME, 'a', 'conn-1');
    expect(stored.asked).toHaveLength(1);
    clock += WINDOW_MS - 1;
    await dedup.claim(ME, 'b', 'conn-1');
    expect(stored.asked).toHaveLength(2);
    clock += 1;
    await dedup.claim(ME, 'c', 'conn-1');
    expect(stored.asked).toHaveLength(2);
  });

  it('fails the send when the look-up fails and frees the key, so a retry can succeed', async () => {
    const dedup = await gateway();
    await send(dedup, 'k1');
    await flush('k1');
    stored.failing = true;
    await expect(dedup.claim(ME, 'k2', 'conn-1')).rejects.toThrow('database down');
    stored.failing = false;
    expect((await dedup.claim(ME, 'k2', 'conn-1')).kind).toBe('claimed');
  });

  it('reads the epoch once for the claims issued together, after all of them', async () => {
    const calls: string[] = [];
    const watched: Cache = {
      get: <T>(key: string) => (calls.push(`get ${key}`), cache.get<T>(key)),
      set: (key, value, ttlMs) => cache.set(key, value, ttlMs),
      del: (key) => cache.del(key),
      setIfAbsent: (key, value, ttlMs) => (
        calls.push('claim'),
        cache.setIfAbsent(key, value, ttlMs)
      ),
      releaseLock: (key, holder) => cache.releaseLock(key, holder),
    };
    const dedup = await gateway(watched);
    calls.length = 0;
    const results = await Promise.all(['a', 'b', 'c'].map((k) => dedup.claim(ME, k, 'conn-1')));
    expect(results.map((r) => r.kind)).toEqual(['claimed', 'claimed', 'claimed']);
    expect(calls).toEqual(['claim', 'claim', 'claim', `get ${DEDUP_EPOCH_KEY}`]);
  });

  it('treats an empty cache at start as a loss when something was sent within the window', async () => {
    const first = await gateway();
    const ack = await send(first, 'k1');
    await flush('k1');
    // A gateway starting on the emptied cache, before any other noticed.
    const restarted = await gateway();
    expect(original(await restarted.claim(ME, 'k1', 'conn-1'))).toEqual(ack);
  });
});

describe('SentLookup', () => {
  it('asks for the keys of one tick in one query, and gives each caller its own window only', async () => {
    const asked: { keys: SendKey[]; sinceMs: number }[] = [];
    const t = Date.parse('2026-06-01T00:00:00Z');
    const lookup = new SentLookup({
      newestSends: async (keys, sinceMs) => {
        asked.push({ keys, sinceMs });
        return [{ accountId: 1, clientMsgId: 'a', msgId: 5, createAt: new Date(t).toISOString() }];
      },
    });
    const [wide, narrow, other, again] = await Promise.all([
      lookup.find({ accountId: 1, clientMsgId: 'a' }, t - 10),
      lookup.find({ accountId: 1, clientMsgId: 'a' }, t + 1),
      lookup.find({ accountId: 2, clientMsgId: 'a' }, t - 10),
      lookup.find({ accountId: 1, clientMsgId: 'a' }, t),
    ]);
    expect(asked).toEqual([
      {
        keys: [
          { accountId: 1, clientMsgId: 'a' },
          { accountId: 2, clientMsgId: 'a' },
        ],
        sinceMs: t - 10,
      },
    ]);
    expect(wide).toEqual({ msg_id: 5, create_at: new Date(t).toISOString() });
    expect(narrow).toBeUndefined();
    expect(other).toBeUndefined();
    expect(again).toEqual(wide);
  });
});
