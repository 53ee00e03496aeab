import { createCacheAdapters } from '@chat/cache';
import type { ReplyTarget } from '@chat/db';
import { SNOWFLAKE_EPOCH_MS, SnowflakeGenerator, snowflakeTime } from '@chat/ids';
import { createLogger } from '@chat/logger';
import { AppError, InfrastructureError, type MessageRecord } from '@chat/protocol';
import { Connection } from '../sockets/connection';
import { testSendDedup } from '../testing/send-dedup';
import { Deferred } from './deferred';
import { PipelineBusyError, PipelineGate } from './pipeline-gate';
import { SendMessageHandler } from './send-msg.handler';

/** A bus whose publishes the test settles by hand. */
function manualBus() {
  const calls: {
    topic: string;
    key: string;
    record: MessageRecord;
    settle: (err?: Error) => void;
  }[] = [];
  return {
    calls,
    publish: (topic: string, key: string, value: Buffer | string) =>
      new Promise<void>((resolve, reject) => {
        calls.push({
          topic,
          key,
          record: JSON.parse(String(value)) as MessageRecord,
          settle: (err) => (err ? reject(err) : resolve()),
        });
      }),
  };
}

describe('SendMessageHandler', () => {
  const log = createLogger({ name: 'test', level: 'silent' });
  const RELATION = 10;
  const ME = 1;
  let bus: ReturnType<typeof manualBus>;
  let targets: Map<number, ReplyTarget>;
  /** replyTarget calls since the last reset. */
  let lookups = 0;
  let handler: SendMessageHandler;
  /** The pipeline's backlog as the gate reads it. */
  let backlog = 0;
  let gate: PipelineGate;
  const conn = new Connection(
    'gw1.test.1',
    '127.0.0.1',
    { framesPerSecond: 0, maxBufferedBytes: 1 << 20 },
    0,
  );
  const ids = new SnowflakeGenerator({ nodeId: 1 });

  beforeEach(async () => {
    backlog = 0;
    gate = new PipelineGate({
      bus: { backlog: async () => backlog },
      maxBacklog: 100,
      pollMs: 5,
      log,
    });
    await gate.start();
    bus = manualBus();
    targets = new Map();
    lookups = 0;
    const cache = createCacheAdapters({ kind: 'memory' }, log);
    handler = new SendMessageHandler({
      bus,
      membership: cache.membership({ ttlMs: 60_000 }),
      store: {
        isLeader: async () => false,
        members: async () => [ME, 2],
        replyTarget: async (id) => {
          lookups += 1;
          return targets.get(id) ?? null;
        },
      },
      dedup: testSendDedup(cache.cache, { pollMs: 1 }),
      gate,
      ids,
      nodeId: 'gw1',
      log,
    });
  });

  const send = (extra: Record<string, unknown> = {}) =>
    handler.handle(conn, ME, { relation_id: RELATION, msg_content: 'hello', ...extra });
  /** The pending ack of a send that was accepted (not wrapped in a promise of its own). */
  const deferred = async (
    extra: Record<string, unknown> = {},
  ): Promise<{ ack: Promise<unknown> }> => {
    const answer = await send(extra);
    expect(answer).toBeInstanceOf(Deferred);
    return { ack: (answer as Deferred).result };
  };

  it('acks only after the bus accepted the record, keyed by relation', async () => {
    let acked = false;
    const ack = (await deferred()).ack.then((value: unknown) => {
      acked = true;
      return value;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(acked).toBe(false);
    expect(bus.calls).toHaveLength(1);
    const [{ topic, key, record, settle }] = bus.calls;
    expect([topic, key]).toEqual(['chat.messages', String(RELATION)]);
    settle();
    expect(await ack).toEqual({
      msg_id: record.id,
      create_at: snowflakeTime(record.id).toISOString(),
    });
    expect(record).toMatchObject({
      relation_id: RELATION,
      account_id: ME,
      msg_content: 'hello',
      origin: { node: 'gw1', conn: 'gw1.test.1' },
    });
  });

  it('answers a failed publish with the error and publishes the same id again on the resend', async () => {
    const { ack: first } = await deferred({ client_msg_id: 'k1' });
    bus.calls[0].settle(new InfrastructureError('bus: publish failed'));
    await expect(first).rejects.toBeInstanceOf(InfrastructureError);

    // The broker may hold the first record although the publish failed: the resend carries
    // its id, so the persister stores the message once, under the id the ack gives.
    const { ack: second } = await deferred({ client_msg_id: 'k1' });
    expect(bus.calls).toHaveLength(2);
    expect(bus.calls[1].record.id).toBe(bus.calls[0].record.id);
    bus.calls[1].settle();
    expect(await second).toEqual(expect.objectContaining({ msg_id: bus.calls[0].record.id }));
    // Once acked, a further resend is answered from the dedup entry and publishes nothing.
    expect(await send({ client_msg_id: 'k1' })).toEqual(await second);
    expect(bus.calls).toHaveLength(2);
  });

  it('gives a send without client_msg_id a new id after a failed publish (no key to bind)', async () => {
    const { ack: first } = await deferred();
    bus.calls[0].settle(new InfrastructureError('bus: publish failed'));
    await expect(first).rejects.toBeInstanceOf(InfrastructureError);
    const { ack: second } = await deferred();
    bus.calls[1].settle();
    await second;
    expect(bus.calls[1].record.id).not.toBe(bus.calls[0].record.id);
  });

  it('answers a resend after the ack with the original ack and publishes nothing', async () => {
    const { ack: first } = await deferred({ client_msg_id: 'k2' });
    bus.calls[0].settle();
    const ack = await first;
    expect(await send({ client_msg_id: 'k2', msg_content: 'changed' })).toEqual(ack);
    expect(bus.calls).toHaveLength(1);
  });

  it('makes a concurrent resend wait for the first send and answer with its ack', async () => {
    const { ack: first } = await deferred({ client_msg_id: 'k3' });
    const resend = send({ client_msg_id: 'k3' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(bus.calls).toHaveLength(1);
    bus.calls[0].settle();
    expect(await resend).toEqual(await first);
  });

  afterEach(() => gate.stop());

  it('refuses sends with 1004 and a retry hint while the pipeline is behind, and accepts again once it caught up', async () => {
    // Each of the two stages reports this backlog: 2 × 80 = 160 > 100.
    backlog = 80;
    await new Promise((resolve) => setTimeout(resolve, 30));
    const refused = await send({ client_msg_id: 'busy-1' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PipelineBusyError);
    expect((refused as PipelineBusyError).code).toBe(1004);
    expect((refused as PipelineBusyError).retryAfterMs).toBe(400);
    expect(bus.calls).toHaveLength(0);

    backlog = 10;
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Refused means not claimed: the same client_msg_id is accepted afterwards.
    const accepted = await deferred({ client_msg_id: 'busy-1' });
    expect(bus.calls).toHaveLength(1);
    bus.calls[0].settle();
    await expect(accepted.ack).resolves.toMatchObject({ msg_id: bus.calls[0].record.id });
  });

  it('refuses a non-member before anything else', async () => {
    await expect(
      handler.handle(conn, 99, { relation_id: RELATION, msg_content: 'x', rly_msg_id: 5 }),
    ).rejects.toMatchObject({ code: 2009 });
    expect(bus.calls).toHaveLength(0);
  });

  it('claims the client_msg_id while the membership check is still under way (one round trip)', async () => {
    let answer!: (isMember: boolean) => void;
    const checking = new Promise<boolean>((resolve) => (answer = resolve));
    const cache = createCacheAdapters({ kind: 'memory' }, log);
    const dedup = testSendDedup(cache.cache, { pollMs: 1 });
    const claim = jest.spyOn(dedup, 'claim');
    const concurrent = new SendMessageHandler({
      bus,
      membership: Object.assign(cache.membership({ ttlMs: 60_000 }), { isMember: () => checking }),
      store: {
        members: async () => [ME],
        replyTarget: async () => null,
        isLeader: async () => false,
      },
      dedup,
      gate,
      ids,
      nodeId: 'gw1',
      log,
    });
    const refused = concurrent.handle(conn, ME, {
      relation_id: RELATION,
      msg_content: 'x',
      client_msg_id: 'k5',
    });
    // The membership answer is held back: the claim goes out all the same.
    await new Promise((resolve) => setImmediate(resolve));
    expect(claim).toHaveBeenCalledTimes(1);
    answer(false);
    await expect(refused).rejects.toMatchObject({ code: 2009 });
    expect(bus.calls).toHaveLength(0);
    // The claim was released: the same key is free for a send that is allowed.
    const next = await dedup.claim(ME, 'k5', 'other');
    expect(next.kind).toBe('claimed');
  });

  it('waits briefly for a recent replied-to message that is not stored yet', async () => {
    const recent = ids.next();
    setTimeout(() => targets.set(recent, { relationId: RELATION, isRevoke: false }), 100);
    await deferred({ rly_msg_id: recent });
    expect(bus.calls[0].record.rly_msg_id).toBe(recent);
  });

  it('answers 5001 for a replied-to message that never appears, releasing the client_msg_id', async () => {
    const missing = ids.next();
    const failed = send({ rly_msg_id: missing, client_msg_id: 'k4' });
    await expect(failed).rejects.toBeInstanceOf(AppError);
    await expect(failed).rejects.toMatchObject({ code: 5001 });
    expect(bus.calls).toHaveLength(0);
    const { ack: retry } = await deferred({ client_msg_id: 'k4' });
    bus.calls[0].settle();
    await expect(retry).resolves.toEqual(expect.objectContaining({ msg_id: expect.any(Number) }));
  });

  it('answers 5001 after one look for a replied-to id that no gateway made yet, or long ago', async () => {
    // Ids of a minute from now, and of the id epoch: neither can be on its way to storage.
    const future = (Date.now() + 60_000 - SNOWFLAKE_EPOCH_MS) * 4096;
    for (const rly_msg_id of [future, Number.MAX_SAFE_INTEGER, 1]) {
      lookups = 0;
      await expect(send({ rly_msg_id })).rejects.toMatchObject({ code: 5001 });
      expect(lookups).toBe(1);
    }
    expect(bus.calls).toHaveLength(0);
  });
});
