import { waitFor } from '@chat/testing';

import { ok } from './support/http';
import { openSession, type Session } from './support/session';
import { TestSocket } from './support/socket';
import { startTargetStack, type TargetStack } from './support/target';

/** The fields of MsgInfoWithRly (docs/api.md §3) this suite reads. */
interface MsgInfo {
  id: number;
  seq: number;
  msg_content: string;
  edit_at: string | null;
  is_revoke: boolean;
  is_pin: boolean;
  is_top: boolean;
  reactions: { emoji: string; count: number; me: boolean }[];
}

interface SyncEntry {
  relation_id: number;
  messages: MsgInfo[];
  changed: MsgInfo[];
  last_seq: number;
  last_change: number;
  has_more: boolean;
}

/**
 * docs/features.md "What sync brings back": a client that was away gets, besides the new
 * messages, the messages it already had that were edited, reacted to, revoked, pinned or
 * topped meanwhile, by resuming from the `last_change` of its previous sync. Sends go over
 * the WebSocket (gateway → bus → persister), changes over REST, sync over REST.
 */
describe('sync brings back changes to messages the client already has', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let relation: number;
  let bobSocket: TestSocket;
  /** The five messages of the first test. */
  let first: number[] = [];

  beforeAll(async () => {
    stack = await startTargetStack('e2e_sync_changes', {}, { gateways: 1, workers: true });
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.changes@example.com', 'ann'),
      openSession(stack, 'bob.changes@example.com', 'bob'),
    ]);
    relation = await ann.befriend(bob);
    bobSocket = await TestSocket.open(stack.gateways[0].wsUrl, bob.accountToken);
    // The friendship's system message is stored first, so no test sees it arrive later.
    await waitFor(async () => (await sync(ann, { after_seq: 0 })).messages.length > 0, {
      what: 'the friendship system message',
    });
  }, 180_000);

  afterAll(async () => {
    await bobSocket?.close();
    await stack?.stop();
  });

  const put = (who: Session, path: string, body: unknown) =>
    who.api.put(path, { token: who.accountToken, body }).then(ok);

  async function sync(
    who: Session,
    position: { after_seq: number; after_change?: number },
    limit = 100,
  ): Promise<SyncEntry> {
    const r = ok(
      await who.api.post('/api/msg/sync', {
        token: who.accountToken,
        body: { relations: [{ relation_id: relation, ...position }], limit },
      }),
    );
    return r.list[0] as SyncEntry;
  }

  /** bob sends `n` texts; returns their ids once ann's sync from `afterSeq` holds them all. */
  async function send(n: number, afterSeq: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const ack = await bobSocket.request('send_msg', {
        relation_id: relation,
        msg_content: `text ${afterSeq + i}`,
      });
      expect(ack.status_code).toBe(0);
      ids.push(ack.data.msg_id);
    }
    await waitFor(
      async () => {
        const seen = (await sync(ann, { after_seq: afterSeq }, 500)).messages.map((m) => m.id);
        return ids.every((id) => seen.includes(id));
      },
      { what: 'the sent messages in the sync' },
    );
    return ids;
  }

  it('returns exactly the edited, reacted, revoked and pinned messages, with their new state, once', async () => {
    first = await send(5, 0);
    const [m1, m2, m3, m4, m5] = first;
    // ann is up to date: every message, and the position to resume from.
    const start = await sync(ann, { after_seq: 0 });
    expect(start.changed).toEqual([]);
    expect(start.has_more).toBe(false);
    const position = {
      after_seq: start.messages[start.messages.length - 1].seq,
      after_change: start.last_change,
    };
    expect(position.after_seq).toBe(start.last_seq);

    // While ann is away, bob changes four of the messages ann has.
    await put(bob, '/api/msg/update/edit', { id: m1, msg_content: 'edited text' });
    await put(bob, '/api/msg/update/reaction', { id: m2, emoji: '👍', state: true });
    await put(bob, '/api/msg/update/revoke', { id: m3 });
    await put(bob, '/api/msg/update/pin', { id: m4, relation_id: relation, is_pin: true });
    // Changes that change nothing bring nothing back.
    await put(bob, '/api/msg/update/reaction', { id: m2, emoji: '👍', state: true });
    await put(bob, '/api/msg/update/reaction', { id: m5, emoji: '👍', state: false });
    await put(bob, '/api/msg/update/pin', { id: m4, relation_id: relation, is_pin: true });

    const back = await sync(ann, position);
    expect(back.messages).toEqual([]);
    expect(back.has_more).toBe(false);
    expect(back.changed.map((m) => m.id)).toEqual([m1, m2, m3, m4]);
    expect(back.last_change).toBe(position.after_change + 4);
    const [v1, v2, v3, v4] = back.changed;
    expect(v1).toMatchObject({ msg_content: 'edited text', edit_at: expect.any(String) });
    expect(v2.reactions).toEqual([{ emoji: '👍', count: 1, me: false }]);
    expect(v3).toMatchObject({ is_revoke: true, msg_content: '' });
    expect(v4).toMatchObject({ is_pin: true });

    // Synced again from the new position: nothing.
    const again = await sync(ann, {
      after_seq: position.after_seq,
      after_change: back.last_change,
    });
    expect(again).toMatchObject({ messages: [], changed: [], last_change: back.last_change });
    expect(again.has_more).toBe(false);

    // Without after_change: no changes, and the position to start from.
    const fresh = await sync(ann, { after_seq: position.after_seq });
    expect(fresh).toMatchObject({ changed: [], last_change: back.last_change });

    // A small limit pages the same changes, in order, resuming from each last_change.
    const paged: number[] = [];
    let after = position.after_change;
    for (let calls = 0; calls < 10; calls++) {
      const page = await sync(ann, { after_seq: position.after_seq, after_change: after }, 3);
      expect(page.changed.length).toBeLessThanOrEqual(3);
      paged.push(...page.changed.map((m) => m.id));
      after = page.last_change;
      if (!page.has_more) break;
    }
    expect(paged).toEqual([m1, m2, m3, m4]);
    expect(after).toBe(back.last_change);
  });

  it('messages after after_seq come with their current state, changed ones up to it in `changed`', async () => {
    const before = await sync(ann, { after_seq: 0 }, 500);
    const position = { after_seq: before.last_seq, after_change: before.last_change };
    const old = first[4];
    const [n1, n2] = await send(2, position.after_seq);
    await put(bob, '/api/msg/update/reaction', { id: old, emoji: 'ok', state: true });
    await put(bob, '/api/msg/update/pin', { id: n1, relation_id: relation, is_pin: true });
    const r = await sync(ann, position);
    expect(r.changed.map((m) => m.id)).toEqual([old]);
    const newIds = r.messages.map((m) => m.id);
    expect(newIds).toEqual(expect.arrayContaining([n1, n2]));
    expect(r.messages.find((m) => m.id === n1)).toMatchObject({ is_pin: true });
    expect(r.last_change).toBe(position.after_change + 2);
  });

  it('concurrent reactions take distinct, gap-free change numbers', async () => {
    const base = await sync(ann, { after_seq: 0 }, 500);
    const ids = await send(8, base.last_seq);
    const now = await sync(ann, { after_seq: 0 }, 500);
    const position = { after_seq: now.last_seq, after_change: now.last_change };
    await Promise.all(
      ids.map((id, i) =>
        put(i % 2 ? ann : bob, '/api/msg/update/reaction', { id, emoji: '🎉', state: true }),
      ),
    );
    // One change per page: each answer's last_change is one more than the last.
    const seen: number[] = [];
    const numbers: number[] = [];
    let after = position.after_change;
    for (let calls = 0; calls < 20; calls++) {
      const page = await sync(ann, { after_seq: position.after_seq, after_change: after }, 1);
      seen.push(...page.changed.map((m) => m.id));
      after = page.last_change;
      numbers.push(after);
      if (!page.has_more) break;
    }
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(numbers).toEqual(ids.map((_, i) => position.after_change + i + 1));
  });

  it('a top and the top it replaced come back together, under one change number', async () => {
    const [m1, m2] = first;
    const before = await sync(ann, { after_seq: 0 }, 500);
    const position = { after_seq: before.last_seq, after_change: before.last_change };
    await put(bob, '/api/msg/update/top', { id: m1, relation_id: relation, is_top: true });
    await put(bob, '/api/msg/update/top', { id: m2, relation_id: relation, is_top: true });
    const r = await sync(ann, position);
    expect(r.changed.map((m) => [m.id, m.is_top])).toEqual([
      [m1, false],
      [m2, true],
    ]);
    expect(r.last_change).toBe(position.after_change + 2);
    // With a limit of one the pair still comes whole, past the limit (m1's first top is
    // behind it: a message comes once, at its last change).
    const one = await sync(ann, { ...position }, 1);
    expect(one.changed.map((m) => m.id)).toEqual([m1, m2]);
    expect(one).toMatchObject({ last_change: position.after_change + 2 });
  });
});
