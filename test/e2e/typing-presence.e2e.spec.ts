import { ErrorCode, PUSH_DATA, PUSH_EVENTS } from '@chat/protocol';
import { waitFor, WsClient, type WsPush } from '@chat/testing';
import { ok } from './support/http';
import { startTargetStack, type TargetStack } from './support/target';
import { openSession, type Session } from './support/session';
import { SioClient } from './support/sio-client';

/**
 * Typing indicators and presence (docs/protocol.md §3.4–§3.6) through the whole stack: two
 * gateways on the distributed target (an account's two devices on different gateways), the
 * one server on the standalone target. Ann is friends with Bob and Cat, the three share a
 * group; Dan knows nobody.
 */
describe('typing and presence', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let cat: Session;
  let dan: Session;
  let annBob: number;
  let annCat: number;
  let group: number;
  const sockets: { who: string; ws: WsClient }[] = [];

  const socket = (who: string) => sockets.find((s) => s.who === who)!.ws;

  function markAll(): Map<WsClient, number> {
    return new Map(sockets.map(({ ws }) => [ws, ws.pushes.length]));
  }

  function seen(event: string, mark: Map<WsClient, number>, pred: (p: WsPush) => boolean) {
    return Object.fromEntries(
      sockets.map(({ who, ws }) => [
        who,
        ws.pushes.slice(mark.get(ws) ?? 0).filter((p) => p.event === event && pred(p)),
      ]),
    );
  }

  /** Waits for one matching push at each of `expected`, then checks nobody else got any. */
  async function expectDelivered(
    event: string,
    mark: Map<WsClient, number>,
    expected: string[],
    pred: (p: WsPush) => boolean = () => true,
  ): Promise<Record<string, WsPush[]>> {
    await waitFor(() => expected.every((w) => seen(event, mark, pred)[w]!.length >= 1), {
      timeoutMs: 15_000,
      what: `${event} at ${expected.join(', ')}`,
    });
    // Give a wrongly routed push a moment to show up before judging "nowhere else".
    await new Promise((r) => setTimeout(r, 400));
    const got = seen(event, mark, pred);
    const counts = Object.fromEntries(Object.entries(got).map(([w, p]) => [w, p.length]));
    const want = Object.fromEntries(
      sockets.map(({ who }) => [who, expected.includes(who) ? 1 : 0]),
    );
    expect(counts).toEqual(want);
    for (const p of expected.flatMap((w) => got[w]!)) {
      expect(PUSH_DATA[event as keyof typeof PUSH_DATA].safeParse(p.data).success).toBe(true);
    }
    return got;
  }

  async function connect(who: string, s: Session, gateway: number): Promise<WsClient> {
    const gw = stack.gateways[gateway % stack.gateways.length]!;
    const ws = await WsClient.connect(gw.wsUrl, { token: s.accountToken });
    expect((await ws.request('ping')).status_code).toBe(0);
    sockets.push({ who, ws });
    return ws;
  }

  async function disconnect(who: string): Promise<void> {
    const i = sockets.findIndex((s) => s.who === who);
    const [{ ws }] = sockets.splice(i, 1);
    await ws.close();
  }

  beforeAll(async () => {
    stack = await startTargetStack('e2e_typing_presence', {}, { gateways: 2, workers: true });
    [ann, bob, cat, dan] = await Promise.all([
      openSession(stack, 'ann.tp@example.com', 'ann'),
      openSession(stack, 'bob.tp@example.com', 'bob'),
      openSession(stack, 'cat.tp@example.com', 'cat'),
      openSession(stack, 'dan.tp@example.com', 'dan'),
    ]);
    annBob = await ann.befriend(bob);
    annCat = await ann.befriend(cat);
    group = await ann.createGroup('trio', [bob, cat]);
    await connect('ann1', ann, 0);
    await connect('ann2', ann, 1);
    await connect('bob1', bob, 0);
    await connect('bob2', bob, 1);
    await connect('cat1', cat, 1);
    await connect('dan1', dan, 0);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(sockets.map(({ ws }) => ws.close()));
    await stack?.stop();
  });

  describe('typing', () => {
    it('reaches every device of the other member of a friendship, and nobody else', async () => {
      const mark = markAll();
      const reply = await socket('ann1').request('typing', { relation_id: annBob, state: true });
      expect(reply).toMatchObject({ status_code: 0, data: { forwarded: true } });
      const got = await expectDelivered(PUSH_EVENTS.typing, mark, ['bob1', 'bob2']);
      expect(got.bob2![0]!.data).toEqual({
        relation_id: annBob,
        account_id: ann.accountId,
        state: true,
      });
    });

    it('reaches the other group members’ devices, not the sender’s own other device', async () => {
      const mark = markAll();
      const reply = await socket('bob2').request('typing', { relation_id: group, state: true });
      expect(reply.status_code).toBe(0);
      await expectDelivered(PUSH_EVENTS.typing, mark, ['ann1', 'ann2', 'cat1'], (p) =>
        Boolean(p.data.relation_id === group && p.data.account_id === bob.accountId),
      );
    });

    it('refuses a non-member with 2009 and pushes nothing', async () => {
      const mark = markAll();
      const reply = await socket('dan1').request('typing', { relation_id: annBob, state: true });
      expect(reply.status_code).toBe(ErrorCode.PermissionDenied);
      const bad = await socket('dan1').request('typing', { relation_id: annBob, state: 'yes' });
      expect(bad.status_code).toBe(ErrorCode.InvalidParams);
      expect(bad.status_msg).toContain('state: must be true or false');
      await new Promise((r) => setTimeout(r, 400));
      const counts = Object.values(seen(PUSH_EVENTS.typing, mark, () => true)).map((p) => p.length);
      expect(counts.every((n) => n === 0)).toBe(true);
      expect(socket('dan1').isOpen).toBe(true);
    });

    it('forwards at most one start per second per conversation, and the stop after it', async () => {
      const mark = markAll();
      const first = await socket('cat1').request('typing', { relation_id: annCat, state: true });
      const second = await socket('cat1').request('typing', { relation_id: annCat, state: true });
      const stop = await socket('cat1').request('typing', { relation_id: annCat, state: false });
      const again = await socket('cat1').request('typing', { relation_id: annCat, state: false });
      expect([first, second, stop, again].map((r) => [r.status_code, r.data?.forwarded])).toEqual([
        [0, true],
        [0, false],
        [0, true],
        [0, false],
      ]);
      await waitFor(() => seen(PUSH_EVENTS.typing, mark, () => true).ann1!.length >= 2, {
        timeoutMs: 15_000,
        what: 'typing start and stop at ann1',
      });
      await new Promise((r) => setTimeout(r, 400));
      const got = seen(PUSH_EVENTS.typing, mark, () => true);
      expect(got.ann1!.map((p) => p.data.state)).toEqual([true, false]);
      expect(got.ann2!.map((p) => p.data.state)).toEqual([true, false]);
      expect(got.cat1).toHaveLength(0);
      expect(got.bob1).toHaveLength(0);
      expect(socket('cat1').isOpen).toBe(true);
    });

    it('works from a Socket.IO client through the same dispatcher', async () => {
      const sio = await SioClient.connect(SioClient.baseOf(stack.gateways[0]!.wsUrl), {
        token: dan.accountToken,
      });
      try {
        const refused = await sio.request('typing', { relation_id: annCat, state: true });
        expect(refused.status_code).toBe(ErrorCode.PermissionDenied);
      } finally {
        sio.close();
      }
      const bobSio = await SioClient.connect(SioClient.baseOf(stack.gateways[1]!.wsUrl), {
        token: bob.accountToken,
      });
      try {
        const mark = markAll();
        const ack = await bobSio.request('typing', { relation_id: annBob, state: false });
        expect(ack).toMatchObject({ status_code: 0, data: { forwarded: true } });
        await expectDelivered(PUSH_EVENTS.typing, mark, ['ann1', 'ann2'], (p) =>
          Boolean(p.data.account_id === bob.accountId && p.data.state === false),
        );
      } finally {
        bobSio.close();
      }
    });
  });

  describe('presence', () => {
    it('refuses accounts that are neither friends nor fellow group members', async () => {
      const reply = await socket('ann1').request('presence_subscribe', {
        account_ids: [bob.accountId, dan.accountId],
      });
      expect(reply.status_code).toBe(ErrorCode.PermissionDenied);
      expect(reply.status_msg).toContain(String(dan.accountId));
      const tooMany = await socket('ann1').request('presence_subscribe', {
        account_ids: Array.from({ length: 201 }, (_, i) => i + 1),
      });
      expect(tooMany.status_code).toBe(ErrorCode.InvalidParams);
    });

    it('answers the current state, then pushes offline only when the last device leaves', async () => {
      // Whatever the Socket.IO test's disconnect announced has been handled by now.
      const reply = await socket('ann1').request('presence_subscribe', {
        account_ids: [bob.accountId, cat.accountId],
      });
      expect(reply.status_code).toBe(0);
      expect(reply.data.presences).toEqual([
        { account_id: bob.accountId, online: true, last_seen: expect.any(String) },
        { account_id: cat.accountId, online: true, last_seen: expect.any(String) },
      ]);

      let mark = markAll();
      await disconnect('bob1');
      // Bob's other device is still connected: no presence push.
      await new Promise((r) => setTimeout(r, 1500));
      expect(
        Object.values(seen(PUSH_EVENTS.presence, mark, () => true)).every((p) => p.length === 0),
      ).toBe(true);

      const before = Date.now();
      await disconnect('bob2');
      const got = await expectDelivered(PUSH_EVENTS.presence, mark, ['ann1']);
      const offline = got.ann1![0]!.data;
      expect(offline).toMatchObject({ account_id: bob.accountId, online: false });
      expect(Date.parse(offline.last_seen)).toBeGreaterThanOrEqual(before - 2000);

      mark = markAll();
      await connect('bob1', bob, 1);
      const back = await expectDelivered(PUSH_EVENTS.presence, mark, ['ann1']);
      expect(back.ann1![0]!.data).toMatchObject({ account_id: bob.accountId, online: true });
    });

    it('shows a hidden account offline without last seen to others, and as it is to itself', async () => {
      await socket('cat1').request('presence_subscribe', { account_ids: [cat.accountId] });
      const mark = markAll();
      const hide = await socket('cat1').request('presence_hidden', { hidden: true });
      expect(hide).toMatchObject({ status_code: 0, data: { hidden: true } });
      const got = await expectDelivered(PUSH_EVENTS.presence, mark, ['ann1']);
      expect(got.ann1![0]!.data).toEqual({
        account_id: cat.accountId,
        online: false,
        last_seen: null,
      });

      // A new subscriber sees the same; Cat sees itself online.
      const fresh = await socket('bob1').request('presence_subscribe', {
        account_ids: [cat.accountId],
      });
      expect(fresh.data.presences).toEqual([
        { account_id: cat.accountId, online: false, last_seen: null },
      ]);
      const self = await socket('cat1').request('presence_subscribe', {
        account_ids: [cat.accountId],
      });
      expect(self.data.presences[0]).toMatchObject({ online: true });

      const mark2 = markAll();
      const show = await socket('cat1').request('presence_hidden', { hidden: false });
      expect(show.status_code).toBe(0);
      await expectDelivered(PUSH_EVENTS.presence, mark2, ['ann1', 'bob1'], (p) =>
        Boolean(p.data.account_id === cat.accountId && p.data.online === true),
      );
    });

    it('ends subscriptions with unsubscribe and with the connection', async () => {
      const un = await socket('ann1').request('presence_unsubscribe', {
        account_ids: [cat.accountId],
      });
      expect(un).toMatchObject({ status_code: 0, data: { watching: 1 } });
      const mark = markAll();
      await disconnect('cat1');
      // Bob still watches Cat (above): only its socket hears of it.
      await expectDelivered(PUSH_EVENTS.presence, mark, ['bob1'], (p) =>
        Boolean(p.data.account_id === cat.accountId && p.data.online === false),
      );
      const mark1 = markAll();
      await disconnect('bob1');
      await expectDelivered(PUSH_EVENTS.presence, mark1, ['ann1'], (p) =>
        Boolean(p.data.account_id === bob.accountId && p.data.online === false),
      );
      const mark2 = markAll();
      await connect('cat1', cat, 0);
      await new Promise((r) => setTimeout(r, 1500));
      expect(
        Object.values(seen(PUSH_EVENTS.presence, mark2, () => true)).every((p) => p.length === 0),
      ).toBe(true);
    });

    it('ends a subscription when the friendship is deleted or the watched account blocks, and tells nothing more', async () => {
      const [eve, fay, gus] = await Promise.all([
        openSession(stack, 'eve.tp@example.com', 'eve'),
        openSession(stack, 'fay.tp@example.com', 'fay'),
        openSession(stack, 'gus.tp@example.com', 'gus'),
      ]);
      const eveFay = await eve.befriend(fay);
      await eve.befriend(gus);
      // The watcher on one gateway, the watched accounts on the other (distributed target).
      await connect('eve1', eve, 0);
      await connect('fay1', fay, 1);
      await connect('gus1', gus, 1);
      const reply = await socket('eve1').request('presence_subscribe', {
        account_ids: [fay.accountId, gus.accountId],
      });
      expect(reply.status_code).toBe(0);
      const about = (id: number) => (p: WsPush) => p.data.account_id === id;
      const ended = (id: number) => ({ account_id: id, online: false, last_seen: null });

      // While they are friends, Eve hears Fay go offline and come back.
      let mark = markAll();
      await disconnect('fay1');
      await expectDelivered(PUSH_EVENTS.presence, mark, ['eve1'], about(fay.accountId));
      mark = markAll();
      await connect('fay1', fay, 1);
      await expectDelivered(PUSH_EVENTS.presence, mark, ['eve1'], about(fay.accountId));

      // Fay deletes the friendship: one last push, then nothing about Fay.
      mark = markAll();
      ok(
        await fay.api.delete('/api/setting/friend/delete', {
          token: fay.accountToken,
          query: { relation_id: eveFay },
        }),
      );
      let got = await expectDelivered(PUSH_EVENTS.presence, mark, ['eve1']);
      expect(got.eve1![0]!.data).toEqual(ended(fay.accountId));
      mark = markAll();
      await disconnect('fay1');
      await connect('fay1', fay, 0);
      // Gus's presence still reaches Eve (the control: pushes to Eve still flow).
      await disconnect('gus1');
      await expectDelivered(PUSH_EVENTS.presence, mark, ['eve1'], about(gus.accountId));
      expect(seen(PUSH_EVENTS.presence, mark, about(fay.accountId)).eve1).toHaveLength(0);
      await connect('gus1', gus, 1);
      await waitFor(
        () => seen(PUSH_EVENTS.presence, mark, about(gus.accountId)).eve1!.length >= 2,
        {
          timeoutMs: 15_000,
          what: 'Gus back online at eve1',
        },
      );

      // Gus blocks Eve: the friendship stays, hidden from Gus, and no longer shows Gus to Eve.
      mark = markAll();
      ok(
        await gus.api.post('/api/setting/block/add', {
          token: gus.accountToken,
          body: { account_id: eve.accountId },
        }),
      );
      got = await expectDelivered(PUSH_EVENTS.presence, mark, ['eve1']);
      expect(got.eve1![0]!.data).toEqual(ended(gus.accountId));
      mark = markAll();
      await disconnect('gus1');
      await connect('gus1', gus, 0);
      await disconnect('fay1');
      await new Promise((r) => setTimeout(r, 1500));
      expect(seen(PUSH_EVENTS.presence, mark, () => true).eve1).toHaveLength(0);
      const again = await socket('eve1').request('presence_subscribe', {
        account_ids: [gus.accountId],
      });
      expect(again.status_code).toBe(ErrorCode.PermissionDenied);
      expect(socket('eve1').isOpen).toBe(true);
    });
  });
});
