import { ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import { waitFor, type WsPush } from '@chat/testing';
import { ok } from './support/http';
import { offSpellings } from './support/ids';
import { startTargetStack, type TargetStack } from './support/target';
import { openSession, type Session } from './support/session';
import { TestSocket } from './support/socket';

/**
 * The realtime pipeline as docs/architecture.md draws it: two gateways, the api, a persister and
 * a notifier as separate processes on real Postgres, Redis and Kafka. Three accounts with
 * two devices each, one device on each gateway.
 */
describe('realtime delivery across two gateways', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let cat: Session;
  let annBob: number;
  let annCat: number;
  let group: number;
  const sockets: { who: string; ws: TestSocket }[] = [];

  /** Every push of one kind seen by each socket since `mark`. */
  function seen(event: string, pred: (p: WsPush) => boolean, mark: Map<TestSocket, number>) {
    return sockets.map(({ who, ws }) => ({
      who,
      pushes: ws.pushes.slice(mark.get(ws) ?? 0).filter((p) => p.event === event && pred(p)),
    }));
  }

  function markAll(): Map<TestSocket, number> {
    return new Map(sockets.map(({ ws }) => [ws, ws.pushes.length]));
  }

  /** Waits until exactly `expected` sockets got one matching push, then checks no socket got two. */
  async function expectDelivered(
    event: string,
    pred: (p: WsPush) => boolean,
    mark: Map<TestSocket, number>,
    expected: string[],
  ) {
    await waitFor(
      () =>
        expected.every((w) => seen(event, pred, mark).find((s) => s.who === w)!.pushes.length >= 1),
      { timeoutMs: 15_000, what: `${event} at ${expected.join(', ')}` },
    );
    // Give a wrongly routed duplicate a moment to show up before judging "exactly once".
    await new Promise((r) => setTimeout(r, 300));
    const counts = Object.fromEntries(seen(event, pred, mark).map((s) => [s.who, s.pushes.length]));
    const want = Object.fromEntries(
      sockets.map(({ who }) => [who, expected.includes(who) ? 1 : 0]),
    );
    expect(counts).toEqual(want);
  }

  beforeAll(async () => {
    stack = await startTargetStack('e2e_realtime', {}, { gateways: 2, workers: true });
    [ann, bob, cat] = await Promise.all([
      openSession(stack, 'ann.rt@example.com', 'ann'),
      openSession(stack, 'bob.rt@example.com', 'bob'),
      openSession(stack, 'cat.rt@example.com', 'cat'),
    ]);
    annBob = await ann.befriend(bob);
    annCat = await ann.befriend(cat);
    group = await ann.createGroup('trio', [bob, cat]);
    for (const s of [ann, bob, cat]) {
      for (const [i, gw] of stack.gateways.entries()) {
        const ws = await TestSocket.open(gw.wsUrl, s.accountToken);
        sockets.push({ who: `${s.name}${i + 1}`, ws });
      }
    }
    // Every socket authenticated (a ping answers on each).
    for (const { ws } of sockets) expect((await ws.request('ping')).status_code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(sockets.map(({ ws }) => ws.close()));
    await stack?.stop();
  });

  const socket = (who: string) => sockets.find((s) => s.who === who)!.ws;

  it('delivers a 1:1 message to the receiver’s devices and the sender’s other device only', async () => {
    const mark = markAll();
    const ack = await socket('ann1').request('send_msg', {
      relation_id: annBob,
      msg_content: 'hi bob',
    });
    expect(ack.status_code).toBe(0);
    const id = ack.data.msg_id;
    await expectDelivered(PUSH_EVENTS.sendMsg, (p) => p.data.msg_info.id === id, mark, [
      'ann2',
      'bob1',
      'bob2',
    ]);
    const push = socket('bob2').pushes.find(
      (p) => p.event === 'send_msg' && p.data.msg_info.id === id,
    )!;
    expect(push.data.msg_info).toMatchObject({
      id,
      relation_id: annBob,
      account_id: ann.accountId,
      msg_content: 'hi bob',
      is_revoke: false,
      read_ids: [],
      reply_count: 0,
      rly_msg: null,
      create_at: ack.data.create_at,
    });
    expect(push.data.msg_info.seq).toBeGreaterThan(0);
  });

  it('delivers a group message to every member’s devices except the sending socket', async () => {
    const mark = markAll();
    const ack = await socket('bob2').request('send_msg', {
      relation_id: group,
      msg_content: '大家好',
    });
    expect(ack.status_code).toBe(0);
    await expectDelivered(
      PUSH_EVENTS.sendMsg,
      (p) => p.data.msg_info.id === ack.data.msg_id,
      mark,
      ['ann1', 'ann2', 'bob1', 'cat1', 'cat2'],
    );
  });

  it('carries the replied-to message in a reply', async () => {
    const first = await socket('cat1').request('send_msg', {
      relation_id: annCat,
      msg_content: 'question?',
    });
    const mark = markAll();
    const reply = await socket('ann2').request('send_msg', {
      relation_id: annCat,
      msg_content: 'answer!',
      rly_msg_id: first.data.msg_id,
    });
    expect(reply.status_code).toBe(0);
    await expectDelivered(
      PUSH_EVENTS.sendMsg,
      (p) => p.data.msg_info.id === reply.data.msg_id,
      mark,
      ['ann1', 'cat1', 'cat2'],
    );
    const push = socket('cat1').pushes.find((p) => p.data?.msg_info?.id === reply.data.msg_id)!;
    expect(push.data.msg_info.rly_msg).toMatchObject({
      msg_id: first.data.msg_id,
      msg_content: 'question?',
    });
  });

  it('reads history by ids from the query string in canonical digits only', async () => {
    const asked = await socket('cat1').request('send_msg', {
      relation_id: annCat,
      msg_content: 'spelled?',
    });
    const answered = await socket('ann1').request('send_msg', {
      relation_id: annCat,
      msg_content: 'spelled!',
      rly_msg_id: asked.data.msg_id,
    });
    expect([asked.status_code, answered.status_code]).toEqual([0, 0]);
    const relation = String(annCat);
    const target = String(asked.data.msg_id);
    const lastTime = String(Math.floor(Date.now() / 1000) + 3600);
    const get = (path: string, query: Record<string, string>) =>
      ann.api.get(path, { token: ann.accountToken, query });

    const replies = await waitFor(
      async () => {
        const r = ok(await get('/api/msg/list/rly', { relation_id: relation, rly_msg_id: target }));
        // The page and its total are two queries run side by side: a reply stored between
        // them can be counted before it is listed.
        return r.list.length > 0 && r;
      },
      { timeoutMs: 15_000, what: 'the reply stored' },
    );
    expect(
      replies.list.map((m: { id: number; msg_content: string }) => [m.id, m.msg_content]),
    ).toEqual([[answered.data.msg_id, 'spelled!']]);
    const history = ok(
      await get('/api/msg/list/time', {
        relation_id: relation,
        last_time: lastTime,
        page_size: '200',
      }),
    );
    expect(history.list.slice(-2).map((m: { id: number }) => m.id)).toEqual([
      asked.data.msg_id,
      answered.data.msg_id,
    ]);
    expect(ok(await get('/api/msg/list/pin', { relation_id: relation }))).toEqual({
      list: [],
      total: 0,
    });
    expect(await get('/api/msg/info/top', { relation_id: relation })).toEqual({
      http: 200,
      status_code: 0,
      status_msg: 'ok',
    });

    const calls: [string, (spelling: string) => Record<string, string>, string, number][] = [
      [
        '/api/msg/list/time',
        (v) => ({ relation_id: v, last_time: lastTime }),
        'relation_id',
        annCat,
      ],
      ['/api/msg/list/pin', (v) => ({ relation_id: v }), 'relation_id', annCat],
      ['/api/msg/list/rly', (v) => ({ relation_id: v, rly_msg_id: target }), 'relation_id', annCat],
      [
        '/api/msg/list/rly',
        (v) => ({ relation_id: relation, rly_msg_id: v }),
        'rly_msg_id',
        asked.data.msg_id,
      ],
      ['/api/msg/info/top', (v) => ({ relation_id: v }), 'relation_id', annCat],
    ];
    for (const [path, query, field, id] of calls) {
      for (const spelling of offSpellings(id)) {
        const r = await get(path, query(spelling));
        expect([path, spelling, r.status_code, r.status_msg]).toEqual([
          path,
          spelling,
          ErrorCode.InvalidParams,
          expect.stringMatching(new RegExp(`^parameters not valid: ${field}: `)),
        ]);
      }
    }
  });

  it('refuses a reply to a message of another conversation, and a non-member sender', async () => {
    const other = await socket('ann1').request('send_msg', {
      relation_id: annBob,
      msg_content: 'x',
    });
    await waitFor(
      async () =>
        (
          await ann.api.get('/api/msg/list/rly', {
            token: ann.accountToken,
            query: { relation_id: annBob, rly_msg_id: other.data.msg_id },
          })
        ).status_code === 0,
      { what: 'the message stored' },
    );
    const wrong = await socket('cat1').request('send_msg', {
      relation_id: annCat,
      msg_content: 'y',
      rly_msg_id: other.data.msg_id,
    });
    expect(wrong.status_code).toBe(ErrorCode.ReplyTargetElsewhere);
    const intruder = await socket('cat1').request('send_msg', {
      relation_id: annBob,
      msg_content: 'let me in',
    });
    expect(intruder.status_code).toBe(ErrorCode.PermissionDenied);
  });

  it('pushes pins and revokes to every member, once per socket', async () => {
    const ack = await socket('ann1').request('send_msg', {
      relation_id: group,
      msg_content: 'pin me',
    });
    const id = ack.data.msg_id;
    await socket('cat2').waitForPush((p) => p.data?.msg_info?.id === id, 'the message');
    let mark = markAll();
    ok(
      await ann.api.put('/api/msg/update/pin', {
        token: ann.accountToken,
        body: { id, relation_id: group, is_pin: true },
      }),
    );
    const all = ['ann1', 'ann2', 'bob1', 'bob2', 'cat1', 'cat2'];
    await expectDelivered(
      PUSH_EVENTS.updateMsgState,
      (p) => p.data.msg_id === id && p.data.type === 'pin',
      mark,
      all,
    );
    mark = markAll();
    ok(await ann.api.put('/api/msg/update/revoke', { token: ann.accountToken, body: { id } }));
    await expectDelivered(
      PUSH_EVENTS.updateMsgState,
      (p) => p.data.msg_id === id && p.data.type === 'revoke' && p.data.state === true,
      mark,
      all,
    );
    const revokedAgain = await ann.api.put('/api/msg/update/revoke', {
      token: ann.accountToken,
      body: { id },
    });
    expect(revokedAgain.status_code).toBe(ErrorCode.MessageRevoked);
  });

  it('reports reads to the sender and the reader’s other device', async () => {
    const ack = await socket('ann1').request('send_msg', {
      relation_id: annBob,
      msg_content: 'read me',
    });
    await socket('bob1').waitForPush(
      (p) => p.data?.msg_info?.id === ack.data.msg_id,
      'the message',
    );
    const mark = markAll();
    const read = await socket('bob1').request('read_msg', {
      relation_id: annBob,
      msg_ids: [ack.data.msg_id],
    });
    expect(read.status_code).toBe(0);
    expect(read.data.last_read_msg_id).toBe(ack.data.msg_id);
    await expectDelivered(
      PUSH_EVENTS.readMsg,
      (p) => p.data.relation_id === annBob && p.data.last_read_msg_id === ack.data.msg_id,
      mark,
      ['ann1', 'ann2', 'bob2'],
    );
  });

  it('keeps send order per conversation at every receiving socket', async () => {
    const mark = markAll();
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) {
      const ack = await socket(i % 2 ? 'cat1' : 'cat2').request('send_msg', {
        relation_id: group,
        msg_content: `n${i}`,
      });
      ids.push(ack.data.msg_id);
    }
    const order = (who: string) =>
      socket(who)
        .pushes.slice(mark.get(socket(who)))
        .filter((p) => p.event === 'send_msg' && ids.includes(p.data.msg_info.id))
        .map((p) => p.data.msg_info.id);
    await waitFor(() => order('ann1').length === 30 && order('bob2').length === 30, {
      timeoutMs: 20_000,
      what: '30 messages at ann1 and bob2',
    });
    expect(order('ann1')).toEqual(ids);
    expect(order('bob2')).toEqual(ids);
  });

  it('makes history agree with the pushes, with a gap-free sequence', async () => {
    const r = ok(
      await ann.api.post('/api/msg/sync', {
        token: ann.accountToken,
        body: { relations: [{ relation_id: group, after_seq: 0 }], limit: 500 },
      }),
    );
    const seqs = r.list[0].messages.map((m: { seq: number }) => m.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    expect(r.list[0].last_seq).toBe(seqs.length);
  });
});
