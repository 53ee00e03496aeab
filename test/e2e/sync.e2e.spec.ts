import { ErrorCode, SYNC_MAX_MESSAGES, SYNC_MAX_RELATIONS } from '@chat/protocol';

import { ok } from './support/http';
import { startTargetStack, type TargetStack } from './support/target';
import { openSession, type Session } from './support/session';
import { TestSocket } from './support/socket';

/**
 * docs/architecture.md, "sync without gaps": sends to one conversation interleave from both
 * gateways while a client syncs by sequence in a loop; it must end with every acked
 * message, none twice, with no gap in the sequence.
 */
describe('sync by sequence while sends interleave across gateways', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let relation: number;

  beforeAll(async () => {
    stack = await startTargetStack(
      'e2e_sync',
      { GATEWAY_FRAMES_PER_SECOND: '0' },
      { gateways: 2, workers: true },
    );
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.sync@example.com', 'ann'),
      openSession(stack, 'bob.sync@example.com', 'bob'),
    ]);
    relation = await ann.befriend(bob);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('ends with every acked message exactly once and a gap-free sequence', async () => {
    const senders = await Promise.all([
      TestSocket.open(stack.gateways[0].wsUrl, ann.accountToken),
      TestSocket.open(stack.gateways[1].wsUrl, bob.accountToken),
    ]);
    const acked = new Set<number>();
    let sending = true;
    const sends = Promise.all(
      senders.map(async (ws, i) => {
        for (let n = 0; n < 200; n++) {
          const r = await ws.request('send_msg', {
            relation_id: relation,
            msg_content: `${i}:${n}`,
          });
          expect(r.status_code).toBe(0);
          acked.add(r.data.msg_id);
        }
      }),
    ).finally(() => (sending = false));

    const received: { id: number; seq: number }[] = [];
    let afterSeq = 0;
    const syncOnce = async () => {
      const r = ok(
        await bob.api.post('/api/msg/sync', {
          token: bob.accountToken,
          body: { relations: [{ relation_id: relation, after_seq: afterSeq }], limit: 50 },
        }),
      );
      for (const m of r.list[0].messages) {
        received.push({ id: m.id, seq: m.seq });
        afterSeq = m.seq;
      }
      return r.list[0].has_more as boolean;
    };
    while (sending) {
      await syncOnce();
      await new Promise((r) => setTimeout(r, 20));
    }
    await sends;
    // Drain: everything acked is stored shortly after.
    const deadline = Date.now() + 30_000;
    while (received.filter((m) => acked.has(m.id)).length < acked.size && Date.now() < deadline) {
      if (!(await syncOnce())) await new Promise((r) => setTimeout(r, 100));
    }
    const commonIds = received.filter((m) => acked.has(m.id)).map((m) => m.id);
    expect(new Set(commonIds).size).toBe(commonIds.length); // none twice
    expect(commonIds.length).toBe(acked.size); // every acked message
    expect(received.map((m) => m.seq)).toEqual(received.map((_, i) => i + 1)); // no gap
    await Promise.all(senders.map((s) => s.close()));
  }, 120_000);

  it('bounds one call: a relation named twice is synced once, and the total is capped', async () => {
    const sync = (relations: { relation_id: number; after_seq: number }[], limit?: number) =>
      bob.api.post('/api/msg/sync', { token: bob.accountToken, body: { relations, limit } });
    // Named twice: one entry, from the earlier position.
    const twice = ok(
      await sync(
        [
          { relation_id: relation, after_seq: 300 },
          { relation_id: relation, after_seq: 10 },
        ],
        5,
      ),
    );
    expect(twice.list).toHaveLength(1);
    expect(twice.list[0].messages.map((m: { seq: number }) => m.seq)).toEqual([11, 12, 13, 14, 15]);
    // The same relation up to the most a call may name: still one entry, one relation's rows.
    const many = ok(
      await sync(
        Array.from({ length: SYNC_MAX_RELATIONS }, () => ({ relation_id: relation, after_seq: 0 })),
        500,
      ),
    );
    expect(many.list).toHaveLength(1);
    expect(many.list[0].messages.length).toBeGreaterThan(SYNC_MAX_MESSAGES / 5);
    // Five relations share the total: each gets at most SYNC_MAX_MESSAGES ÷ 5, and the one
    // holding more says so. (The first test stored over 400 messages in `relation`.)
    const groups: number[] = [];
    for (let i = 0; i < 4; i++) groups.push(await ann.createGroup(`sync ${i}`, [bob]));
    const five = ok(
      await sync(
        [relation, ...groups].map((id) => ({ relation_id: id, after_seq: 0 })),
        500,
      ),
    );
    expect(five.list).toHaveLength(5);
    const first = five.list.find((e: { relation_id: number }) => e.relation_id === relation);
    expect(first.messages).toHaveLength(SYNC_MAX_MESSAGES / 5);
    expect(first.has_more).toBe(true);
    // One more relation than allowed is refused, naming the field.
    const tooMany = await sync(
      Array.from({ length: SYNC_MAX_RELATIONS + 1 }, () => ({
        relation_id: relation,
        after_seq: 0,
      })),
    );
    expect(tooMany.status_code).toBe(ErrorCode.InvalidParams);
    expect(tooMany.status_msg).toContain('relations');
  });
});
