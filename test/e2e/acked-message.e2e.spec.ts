import { ok } from './support/http';
import { PushWatch } from './support/push-watch';
import { openSession, type Session } from './support/session';
import { startTargetStack, type TargetStack } from './support/target';

/** Messages sent and changed at once in each test: enough that some beat the persister. */
const ROUNDS = 12;

/**
 * An acked message is one a client may act on at once (docs/architecture.md, the ack): on
 * the distributed target the ack means the bus holds the record and the persister stores it
 * a moment later, so a reaction, an edit, a pin or a revoke sent right after the ack may
 * reach the api before the row does. The api looks a recent id up again for about a second
 * instead of answering 5001 (libs/domain, findAckedMessage). Each change below is sent the
 * moment its ack arrives, never after waiting for the message to be stored.
 */
describe('changing a message right after its ack', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let pair: number;
  let watch: PushWatch;

  beforeAll(async () => {
    stack = await startTargetStack('e2e_acked_message', {}, { gateways: 1, workers: true });
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.acked@example.com', 'ann'),
      openSession(stack, 'bob.acked@example.com', 'bob'),
    ]);
    pair = await ann.befriend(bob);
    watch = await PushWatch.open(stack, [{ name: 'ann', token: ann.accountToken }]);
  }, 180_000);

  afterAll(async () => {
    await watch?.close();
    await stack?.stop();
  });

  /** Sends a text and returns its id as soon as the ack arrives. */
  async function sendAcked(content: string): Promise<number> {
    const ack = await watch
      .socket('ann')
      .request('send_msg', { relation_id: pair, msg_content: content });
    expect([ack.status_code, ack.status_msg]).toEqual([0, 'ok']);
    return ack.data.msg_id as number;
  }

  const put = (path: string, body: unknown) => ann.api.put(path, { token: ann.accountToken, body });

  it('reacts to, edits, pins and revokes messages the moment they are acked', async () => {
    const answers = await Promise.all(
      Array.from({ length: ROUNDS }, async (_, i) => {
        const id = await sendAcked(`round ${i}`);
        const change =
          i % 4 === 0
            ? put('/api/msg/update/reaction', { id, emoji: '👍', state: true })
            : i % 4 === 1
              ? put('/api/msg/update/edit', { id, msg_content: `round ${i}, edited` })
              : i % 4 === 2
                ? put('/api/msg/update/pin', { id, relation_id: pair, is_pin: true })
                : put('/api/msg/update/revoke', { id });
        const r = await change;
        return { id, code: r.status_code, msg: r.status_msg };
      }),
    );
    expect(answers.filter((a) => a.code !== 0)).toEqual([]);

    // Every change is in the history.
    const history = ok(
      await ann.api.post('/api/msg/sync', {
        token: ann.accountToken,
        body: { relations: [{ relation_id: pair, after_seq: 0 }], limit: 500 },
      }),
    ).list[0].messages as {
      id: number;
      msg_content: string;
      is_pin: boolean;
      is_revoke: boolean;
      reactions: { emoji: string; count: number; me: boolean }[];
    }[];
    answers.forEach(({ id }, i) => {
      const m = history.find((h) => h.id === id);
      expect(m).toBeDefined();
      if (i % 4 === 0) expect(m!.reactions).toEqual([{ emoji: '👍', count: 1, me: true }]);
      if (i % 4 === 1) expect(m!.msg_content).toBe(`round ${i}, edited`);
      if (i % 4 === 2) expect(m!.is_pin).toBe(true);
      if (i % 4 === 3) expect(m!.is_revoke).toBe(true);
    });
  });

  it('still answers 5001 at once for an id no message has, old or from the future', async () => {
    for (const id of [1, Number.MAX_SAFE_INTEGER]) {
      const started = Date.now();
      const r = await put('/api/msg/update/reaction', { id, emoji: '👍', state: true });
      expect(r.status_code).toBe(5001);
      expect(Date.now() - started).toBeLessThan(900);
    }
  });
});
