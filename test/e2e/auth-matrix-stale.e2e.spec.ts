import { Client } from 'pg';
import { ErrorCode } from '@chat/protocol';
import { waitFor, WsClient, type WsReply } from '@chat/testing';
import { createAccount, makeFriends, registerUser, type Actor } from './support/actors';
import { ok } from './support/http';
import { openSession, type Session } from './support/session';
import { startTargetStack, type TargetStack } from './support/target';

/**
 * A member who left a relation can never send into it, even while every cache between the
 * socket and the database is stale. The window is made observable: the api runs with its
 * outbox relay held (`Outbox.HoldRelay`, a test setting), so no membership event ever
 * reaches the gateway's `chat.events` consumer and its in-process membership cache is
 * never cleared. Each former member's socket was opened, and its membership loaded into
 * that cache by a first message, before the change; right after the REST answer it sends
 * again and must get 2009 (docs/protocol.md §3.2), and nothing is stored. Quitting a group, the
 * group dissolved, the friendship deleted and the account deleted: every way a member
 * leaves a relation. The other way round, a member invited while the gateway holds the
 * group can send at once.
 */
describe('membership changes against a stale gateway cache (relay held)', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  let cat: Session;
  let dan: Session;
  /** A second account of cat's user, deleted below. */
  let eve: Actor;
  let eveUserToken: string;
  let db: Client | undefined;
  const sockets: WsClient[] = [];

  beforeAll(async () => {
    stack = await startTargetStack(
      'e2e_authz_stale',
      { OUTBOX_HOLD_RELAY: 'true' },
      { gateways: 1, workers: true },
    );
    [ann, bob, cat, dan] = await Promise.all([
      openSession(stack, 'ann.stale@example.com', 'ann'),
      openSession(stack, 'bob.stale@example.com', 'bob'),
      openSession(stack, 'cat.stale@example.com', 'cat'),
      openSession(stack, 'dan.stale@example.com', 'dan'),
    ]);
    // Only friends can be invited into a group.
    await ann.befriend(bob);
    await ann.befriend(cat);
    const eveUser = await registerUser(stack, 'eve.stale@example.com');
    eveUserToken = eveUser.token;
    eve = await createAccount(stack.api, eveUser.token, 'eve');
    if (stack.ctx) {
      db = new Client({ connectionString: stack.ctx.databaseUrl });
      await db.connect();
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(sockets.map((ws) => ws.close()));
    await db?.end();
    await stack?.stop();
  });

  async function socketOf(token: string): Promise<WsClient> {
    const ws = await WsClient.connect(stack.gateways[0].wsUrl, { token });
    sockets.push(ws);
    expect((await ws.request('ping')).status_code).toBe(0);
    return ws;
  }

  const send = (ws: WsClient, relationId: number, text: string): Promise<WsReply> =>
    ws.request('send_msg', { relation_id: relationId, msg_content: text });

  /** Sends and expects the ack: the gateway now holds the relation's members in its cache. */
  async function sendOk(ws: WsClient, relationId: number, text: string): Promise<number> {
    const ack = await send(ws, relationId, text);
    expect({ text, code: ack.status_code }).toEqual({ text, code: 0 });
    return ack.data.msg_id as number;
  }

  /** The texts of the relation's history as `reader` reads it over REST. */
  async function history(reader: string, relationId: number): Promise<string[]> {
    const page = ok(
      await stack.api.get('/api/msg/list/time', {
        token: reader,
        query: {
          relation_id: relationId,
          last_time: Math.floor(Date.now() / 1000) + 60,
          page_size: 200,
        },
      }),
    );
    return page.list.map((m: { msg_content: string }) => m.msg_content);
  }

  /** Whether any stored message, in any relation, has this text (distributed target). */
  async function storedAnywhere(text: string): Promise<boolean | undefined> {
    if (!db) return undefined;
    const { rows } = await db.query('select 1 from message where msg_content = $1', [text]);
    return rows.length > 0;
  }

  /**
   * A message a remaining member sends after the refusal, in the same relation (same bus
   * key, so stored after anything produced before it): once it is in history, a send that
   * had been wrongly accepted would be there too.
   */
  async function fence(ws: WsClient, reader: string, relationId: number, text: string) {
    await sendOk(ws, relationId, text);
    await waitFor(async () => (await history(reader, relationId)).includes(text) || undefined, {
      timeoutMs: 15_000,
      what: `"${text}" in history`,
    });
  }

  it('refuses a member who quit the group, on a socket opened before', async () => {
    const group = await ann.createGroup('quitters', [bob]);
    const annWs = await socketOf(ann.accountToken);
    const bobWs = await socketOf(bob.accountToken);
    const before = await sendOk(bobWs, group, 'bob, still a member');
    ok(
      await stack.api.post('/api/group/quit', {
        token: bob.accountToken,
        body: { relation_id: group },
      }),
    );

    const after = await send(bobWs, group, 'bob, after quitting');
    expect(after.status_code).toBe(ErrorCode.PermissionDenied);
    expect(after.data).toBeUndefined();
    const read = await bobWs.request('read_msg', { relation_id: group, msg_ids: [before] });
    expect(read.status_code).toBe(ErrorCode.PermissionDenied);

    await fence(annWs, ann.accountToken, group, 'ann, after bob left');
    const texts = await history(ann.accountToken, group);
    expect(texts).toContain('bob, still a member');
    expect(texts).not.toContain('bob, after quitting');
    expect(await storedAnywhere('bob, after quitting')).not.toBe(true);
  });

  it('admits a member invited a moment ago, whose relation the gateway already holds', async () => {
    const group = ok(
      await stack.api.post('/api/group/create', {
        token: ann.accountToken,
        body: { name: 'joiners', description: 'cat joins' },
      }),
    ).relation_id as number;
    const annWs = await socketOf(ann.accountToken);
    const catWs = await socketOf(cat.accountToken);
    await sendOk(annWs, group, 'ann, alone');
    expect((await send(catWs, group, 'cat, not yet in')).status_code).toBe(
      ErrorCode.PermissionDenied,
    );
    ok(
      await stack.api.post('/api/group/invite', {
        token: ann.accountToken,
        body: { relation_id: group, account_id: [cat.accountId] },
      }),
    );
    await sendOk(catWs, group, 'cat, invited');
    await waitFor(
      async () => (await history(ann.accountToken, group)).includes('cat, invited') || undefined,
      { timeoutMs: 15_000, what: 'the invited member’s message in history' },
    );
  });

  it('refuses a member of a dissolved group', async () => {
    const group = await ann.createGroup('dissolved', [cat]);
    const catWs = await socketOf(cat.accountToken);
    await sendOk(catWs, group, 'cat, in the group');
    ok(
      await stack.api.post('/api/group/dissolve', {
        token: ann.accountToken,
        body: { relation_id: group },
      }),
    );
    const after = await send(catWs, group, 'cat, after the dissolution');
    expect(after.status_code).toBe(ErrorCode.PermissionDenied);
    expect(await storedAnywhere('cat, after the dissolution')).not.toBe(true);
  });

  it('refuses the former friend after the friendship was deleted', async () => {
    const friends = await ann.befriend(dan);
    const danWs = await socketOf(dan.accountToken);
    await sendOk(danWs, friends, 'dan, a friend');
    ok(
      await stack.api.delete('/api/setting/friend/delete', {
        token: ann.accountToken,
        body: { relation_id: friends },
      }),
    );
    const after = await send(danWs, friends, 'dan, no longer a friend');
    expect(after.status_code).toBe(ErrorCode.PermissionDenied);
    expect(await storedAnywhere('dan, no longer a friend')).not.toBe(true);
  });

  it('refuses a deleted account whose socket is still open', async () => {
    // The 4403 close travels through the held relay too: the socket stays open here.
    const annActor: Actor = { id: ann.accountId, name: ann.name, token: ann.accountToken };
    const friendship = await makeFriends(stack.api, eve, annActor);
    const group = ok(
      await stack.api.post('/api/group/create', {
        token: ann.accountToken,
        body: { name: 'with eve', description: 'eve is deleted' },
      }),
    ).relation_id as number;
    ok(
      await stack.api.post('/api/group/invite', {
        token: ann.accountToken,
        body: { relation_id: group, account_id: [eve.id] },
      }),
    );
    const annWs = await socketOf(ann.accountToken);
    const eveWs = await socketOf(eve.token);
    await sendOk(eveWs, group, 'eve, in the group');
    await sendOk(eveWs, friendship, 'eve, to her friend');
    // Stored before the account goes: this case is about the sends after it.
    for (const [relationId, text] of [
      [group, 'eve, in the group'],
      [friendship, 'eve, to her friend'],
    ] as const) {
      await waitFor(
        async () => (await history(ann.accountToken, relationId)).includes(text) || undefined,
        { timeoutMs: 15_000, what: `"${text}" in history` },
      );
    }
    ok(
      await stack.api.delete('/api/account/delete', {
        token: eveUserToken,
        body: { account_id: eve.id },
      }),
    );
    for (const [relationId, text] of [
      [group, 'eve, deleted, to the group'],
      [friendship, 'eve, deleted, to her friend'],
    ] as const) {
      const after = await send(eveWs, relationId, text);
      expect({ text, code: after.status_code }).toEqual({
        text,
        code: ErrorCode.PermissionDenied,
      });
    }
    await fence(annWs, ann.accountToken, group, 'ann, after eve was deleted');
    expect(await history(ann.accountToken, group)).not.toContain('eve, deleted, to the group');
    expect(await storedAnywhere('eve, deleted, to the group')).not.toBe(true);
    expect(await storedAnywhere('eve, deleted, to her friend')).not.toBe(true);
  });
});
