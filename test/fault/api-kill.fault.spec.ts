import { Client } from 'pg';
import { ErrorCode, PUSH_EVENTS, SYSTEM_TEXTS } from '@chat/protocol';
import { waitFor, type RunningApp, type WsPush } from '@chat/testing';
import { ok } from '../e2e/support/http';
import { openSession, type Session } from '../e2e/support/session';
import { startStack, type Stack } from '../e2e/support/stack';
import { TestSocket } from '../e2e/support/socket';

/**
 * docs/architecture.md, guarantees: events after commit, through an outbox. An api commits
 * changes and is killed with SIGKILL before it published anything (its relay is held with
 * the test-only `Outbox.HoldRelay`, which makes "between commit and publish" last as long
 * as the test needs); once an api runs again, every push of those changes reaches the
 * clients' sockets: the application pushes, the "成为好友" system message of the accepted
 * friend request, stored once, and the group quit. Meanwhile a member who quit cannot send
 * into the group through a gateway that reads the shared membership cache, although no
 * event told the gateways yet.
 */
describe('api killed between commit and publish', () => {
  let stack: Stack;
  let ann: Session;
  let bob: Session;
  let carol: Session;
  let groupId: number;
  let db: Client;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    stack = await startStack('fault_api_outbox', {}, { gateways: 2, workers: true });
    [ann, bob, carol] = await Promise.all([
      openSession(stack, 'ann.outbox@example.com', 'ann'),
      openSession(stack, 'bob.outbox@example.com', 'bob'),
      openSession(stack, 'carol.outbox@example.com', 'carol'),
    ]);
    await ann.befriend(bob);
    groupId = await ann.createGroup('outbox', [bob]);
    db = new Client({ connectionString: stack.ctx.databaseUrl });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await db?.end();
    await stack?.stop();
  });

  async function connect(gateway: number, who: Session): Promise<TestSocket> {
    const ws = await TestSocket.open(stack.gateways[gateway].wsUrl, who.accountToken);
    sockets.push(ws);
    return ws;
  }

  const outboxRows = async () =>
    Number((await db.query<{ n: string }>('select count(*) as n from outbox')).rows[0].n);

  /** A figure of the api's `/metrics`, served on its ops port only. */
  const metric = async (app: RunningApp, name: string) => {
    const text = await (await fetch(`${app.opsUrl!}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };

  const send = (ws: TestSocket, text: string) =>
    ws.request('send_msg', { relation_id: groupId, msg_content: text });

  it('delivers every push of the changes a SIGKILLed api had committed', async () => {
    const annWs = await connect(0, ann);
    const carolWs = await connect(0, carol);
    const bobFront = await connect(0, bob); // its gateway will hold the group in its front
    const bobOther = await connect(1, bob); // this gateway never loaded the group
    // Bob's message loads the group's members into gateway 0's front and the shared cache.
    expect((await send(bobFront, 'before')).status_code).toBe(0);
    await annWs.waitForPush((p) => p.event === PUSH_EVENTS.sendMsg, 'bob’s message', 20_000);

    // Only the api with the held relay runs from here on.
    const first = stack.apps.find((a) => a.name === 'api')!;
    await first.stop();
    const held = await stack.startApi({ OUTBOX_HOLD_RELAY: 'true' });
    const api = held.client;
    ok(
      await api.post('/api/application/create', {
        token: carol.accountToken,
        body: { account_id: ann.accountId, apply_msg: 'hello ann' },
      }),
    );
    ok(
      await api.put('/api/application/accept', {
        token: ann.accountToken,
        body: { account_id: carol.accountId },
      }),
    );
    const friendship = ok(
      await api.get('/api/account/info', {
        token: ann.accountToken,
        query: { account_id: carol.accountId },
      }),
    ).relation_id as number;
    expect(friendship).toBeGreaterThan(0);
    ok(
      await api.post('/api/group/quit', {
        token: bob.accountToken,
        body: { relation_id: groupId },
      }),
    );

    // Committed, not published: 2 + (1 message, 1 membership change, 2) + 1 quit.
    expect(await outboxRows()).toBe(7);
    expect(await metric(held.app, 'chat_outbox_records')).toBe(7);
    expect(await metric(held.app, 'chat_outbox_oldest_record_age_seconds')).toBeGreaterThan(0);
    // The quit dropped the group from the shared cache before it answered: a gateway
    // without the group in its own front refuses bob's message (no event reached it).
    expect((await send(bobOther, 'after quitting')).status_code).toBe(ErrorCode.PermissionDenied);

    await held.app.stop('SIGKILL');
    expect(await outboxRows()).toBe(7);
    const next = await stack.startApi();

    const application = (status: string) => (p: WsPush) =>
      p.event === PUSH_EVENTS.application && p.data.status === status;
    const becameFriends = (p: WsPush) =>
      p.event === PUSH_EVENTS.sendMsg &&
      p.data.msg_info.relation_id === friendship &&
      p.data.msg_info.msg_content === SYSTEM_TEXTS.becameFriends;
    const quit = (p: WsPush) =>
      p.event === PUSH_EVENTS.groupQuitAccount &&
      p.data.relation_id === groupId &&
      p.data.account_id === bob.accountId;
    for (const [ws, who] of [
      [annWs, 'ann'],
      [carolWs, 'carol'],
    ] as const) {
      await ws.waitForPush(application('已申请'), `${who}: the application`, 30_000);
      await ws.waitForPush(application('已同意'), `${who}: the acceptance`, 30_000);
      const message = await ws.waitForPush(becameFriends, `${who}: "成为好友"`, 30_000);
      expect(message.data.msg_info).toMatchObject({ notify_type: 'system', account_id: 0 });
    }
    await annWs.waitForPush(quit, 'ann: bob quit the group', 30_000);
    await bobFront.waitForPush(quit, 'bob: he quit the group', 30_000);
    // The relayed event cleared gateway 0's front too.
    await waitFor(async () => (await send(bobFront, 'still here?')).status_code !== 0, {
      timeoutMs: 30_000,
      what: 'gateway 0 refusing bob after the event',
    });
    expect((await send(bobFront, 'still here?')).status_code).toBe(ErrorCode.PermissionDenied);

    await waitFor(async () => (await outboxRows()) === 0, { what: 'an empty outbox' });
    expect(await metric(next.app, 'chat_outbox_records')).toBe(0);
    const stored = await db.query<{ n: string; seq: string }>(
      `select count(*) as n, min(seq) as seq from message
        where relation_id = $1 and notify_type = 'system'`,
      [friendship],
    );
    expect(stored.rows[0]).toEqual({ n: '1', seq: '1' });
    // Each push once per socket: the events were published once.
    expect(annWs.pushes.filter(becameFriends)).toHaveLength(1);
    expect(carolWs.pushes.filter(application('已同意'))).toHaveLength(1);
  }, 180_000);
});
