import { ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import type { WsPush } from '@chat/testing';
import { createAccount, makeFriends, registerUser, type Actor } from './support/actors';
import { ok, type ApiClient } from './support/http';
import { frame, PushWatch, toEach } from './support/push-watch';
import { startTargetStack, type TargetStack } from './support/target';

interface FriendSetting {
  relation_id: number;
}
interface Member {
  account_id: number;
  muted_until: string | null;
}

/**
 * The block list (docs/api.md §9.1) and member mute (§10.1) end to end: REST through the api,
 * `send_msg` through two gateways, pushes through the outbox, notifier and gateways, on real
 * Postgres, Redis and Kafka; or against the standalone server (E2E_TARGET).
 */
describe('block list and member mute', () => {
  let stack: TargetStack;
  let api: ApiClient;
  let alice: Actor;
  let bob: Actor;
  let dave: Actor;
  let lead: Actor;
  let mem: Actor;
  let other: Actor;
  let stranger: Actor;
  /** The friendship of alice and bob. */
  let aliceBob: number;
  /** The group led by lead, with mem and other. */
  let group: number;
  let watch: PushWatch;
  const GROUP = ['lead', 'mem1', 'mem2', 'other'];

  beforeAll(async () => {
    stack = await startTargetStack('e2e_block_mute', {}, { gateways: 2, workers: true });
    api = stack.api;
    const one = await registerUser(stack, 'block-one@example.com');
    const two = await registerUser(stack, 'block-two@example.com');
    const three = await registerUser(stack, 'block-three@example.com');
    alice = await createAccount(api, one.token, 'alice');
    bob = await createAccount(api, two.token, 'bob');
    dave = await createAccount(api, three.token, 'dave');
    lead = await createAccount(api, one.token, 'lead');
    mem = await createAccount(api, two.token, 'mem');
    other = await createAccount(api, three.token, 'other');
    stranger = await createAccount(api, three.token, 'stranger');
    aliceBob = await makeFriends(api, alice, bob);
    await makeFriends(api, lead, mem);
    await makeFriends(api, lead, other);
    group = ok(
      await api.post('/api/group/create', {
        token: lead.token,
        body: { name: 'quiet', description: 'a muted group' },
      }),
    ).relation_id;
    const invited = ok(
      await api.post('/api/group/invite', {
        token: lead.token,
        body: { relation_id: group, account_id: [mem.id, other.id] },
      }),
    );
    expect(invited.invite_member).toEqual([mem.id, other.id]);
    watch = await PushWatch.open(stack, [
      { name: 'alice', token: alice.token },
      { name: 'bob', token: bob.token },
      { name: 'lead', token: lead.token },
      { name: 'mem1', token: mem.token },
      { name: 'mem2', token: mem.token },
      { name: 'other', token: other.token },
      { name: 'stranger', token: stranger.token },
    ]);
  }, 180_000);

  afterAll(async () => {
    await watch?.close();
    await stack?.stop();
  });

  beforeEach(() => watch?.mark());

  const send = (device: string, relationId: number, text: string) =>
    watch.socket(device).request('send_msg', { relation_id: relationId, msg_content: text });
  const friendIds = async (who: Actor) =>
    ok<{ list: FriendSetting[] }>(
      await api.get('/api/setting/friend/list', { token: who.token }),
    ).list.map((f) => f.relation_id);
  const shownIds = async (who: Actor) =>
    ok<{ list: FriendSetting[] }>(
      await api.get('/api/setting/shows', { token: who.token }),
    ).list.map((f) => f.relation_id);
  const block = (who: Actor, target: number) =>
    api.post('/api/setting/block/add', { token: who.token, body: { account_id: target } });
  const unblock = (who: Actor, target: number) =>
    api.delete('/api/setting/block/delete', { token: who.token, query: { account_id: target } });

  describe('block list', () => {
    it('refuses blocking oneself (4005) and a missing account (2010)', async () => {
      expect((await block(alice, alice.id)).status_code).toBe(ErrorCode.CannotBlockSelf);
      expect((await block(alice, 9_000_000_000)).status_code).toBe(ErrorCode.AccountNotFound);
    });

    it('stops messages both ways with 4003 / 4004 and hides the friendship from the blocker only', async () => {
      expect((await send('bob', aliceBob, 'before')).status_code).toBe(0);
      ok(await block(alice, bob.id));
      ok(await block(alice, bob.id)); // idempotent

      const listed = ok(
        await api.get('/api/setting/block/list', { token: alice.token, query: { page: 1 } }),
      );
      expect(listed).toEqual({
        list: [
          {
            account_id: bob.id,
            name: 'bob',
            avatar: expect.any(String),
            create_at: expect.any(String),
          },
        ],
        total: 1,
      });

      expect((await send('bob', aliceBob, 'blocked')).status_code).toBe(ErrorCode.BlockedByAccount);
      expect((await send('alice', aliceBob, 'blocking')).status_code).toBe(
        ErrorCode.AccountBlocked,
      );
      expect(await friendIds(alice)).not.toContain(aliceBob);
      expect(await shownIds(alice)).not.toContain(aliceBob);
      expect(await friendIds(bob)).toContain(aliceBob);
      // Neither refused message went anywhere.
      await watch.expectNothing(
        (p: WsPush) =>
          p.event === PUSH_EVENTS.sendMsg &&
          ['blocked', 'blocking'].includes(
            (p.data as { msg_info: { msg_content: string } }).msg_info.msg_content,
          ),
      );

      ok(await unblock(alice, bob.id));
      expect(ok(await api.get('/api/setting/block/list', { token: alice.token })).total).toBe(0);
      expect(await friendIds(alice)).toContain(aliceBob);
      expect(await shownIds(alice)).toContain(aliceBob);
      expect((await send('bob', aliceBob, 'again')).status_code).toBe(0);
      expect((await send('alice', aliceBob, 'welcome back')).status_code).toBe(0);
      ok(await unblock(alice, bob.id)); // idempotent
    });

    it('refuses friend requests across a block with 4003 / 4004', async () => {
      ok(await block(alice, dave.id));
      const apply = (from: Actor, to: Actor) =>
        api.post('/api/application/create', {
          token: from.token,
          body: { account_id: to.id, apply_msg: 'hi' },
        });
      expect((await apply(dave, alice)).status_code).toBe(ErrorCode.BlockedByAccount);
      expect((await apply(alice, dave)).status_code).toBe(ErrorCode.AccountBlocked);
      ok(await unblock(alice, dave.id));
      ok(await apply(dave, alice));
      // A request made before the block cannot be accepted while it lasts.
      ok(await block(alice, dave.id));
      const accept = await api.put('/api/application/accept', {
        token: alice.token,
        body: { account_id: dave.id },
      });
      expect(accept.status_code).toBe(ErrorCode.AccountBlocked);
      ok(await unblock(alice, dave.id));
    });

    it('passes over an account that blocked the inviter in a group invitation', async () => {
      const g = ok(
        await api.post('/api/group/create', {
          token: bob.token,
          body: { name: 'bobs', description: 'bob invites' },
        }),
      ).relation_id;
      ok(await block(alice, bob.id));
      const invite = () =>
        api.post('/api/group/invite', {
          token: bob.token,
          body: { relation_id: g, account_id: [alice.id] },
        });
      expect(ok(await invite()).invite_member).toEqual([]);
      ok(await unblock(alice, bob.id));
      expect(ok(await invite()).invite_member).toEqual([alice.id]);
    });
  });

  describe('member mute', () => {
    const mute = (who: Actor, account: number, seconds: unknown) =>
      api.post('/api/group/mute', {
        token: who.token,
        body: { relation_id: group, account_id: account, duration_seconds: seconds },
      });
    const unmute = (who: Actor, account: number) =>
      api.post('/api/group/unmute', {
        token: who.token,
        body: { relation_id: group, account_id: account },
      });
    const members = async () =>
      ok<Member[]>(
        await api.get('/api/group/members', { token: mem.token, query: { relation_id: group } }),
      );
    const mutedPush = (p: WsPush) => p.event === PUSH_EVENTS.groupMemberMuted;

    it('is for the leader only, not of itself, with a bounded duration', async () => {
      expect((await mute(mem, other.id, 10)).status_code).toBe(ErrorCode.NotGroupLeader);
      expect((await mute(stranger, other.id, 10)).status_code).toBe(ErrorCode.NotGroupMember);
      expect((await mute(lead, lead.id, 10)).status_code).toBe(ErrorCode.CannotMuteSelf);
      expect((await mute(lead, stranger.id, 10)).status_code).toBe(ErrorCode.NotGroupMember);
      expect((await mute(lead, mem.id, 0)).status_code).toBe(ErrorCode.InvalidParams);
      expect((await mute(lead, mem.id, 30 * 24 * 3600 + 1)).status_code).toBe(
        ErrorCode.InvalidParams,
      );
      expect((await mute(lead, mem.id, 1.5)).status_code).toBe(ErrorCode.InvalidParams);
      expect((await unmute(mem, other.id)).status_code).toBe(ErrorCode.NotGroupLeader);
      await watch.expectNothing(mutedPush);
    });

    it('stops the member’s sends with 7004 and muted_until until the mute ends', async () => {
      const reply = ok(await mute(lead, mem.id, 2));
      const until = reply.muted_until as string;
      expect(Date.parse(until)).toBeGreaterThan(Date.now());
      await watch.expect(
        toEach(
          GROUP,
          frame(PUSH_EVENTS.groupMemberMuted, {
            relation_id: group,
            account_id: mem.id,
            muted_until: until,
          }),
        ),
        mutedPush,
      );
      expect((await members()).find((m) => m.account_id === mem.id)?.muted_until).toBe(until);
      expect((await members()).find((m) => m.account_id === other.id)?.muted_until).toBeNull();

      const refused = await send('mem2', group, 'muted');
      expect(refused.status_code).toBe(ErrorCode.MemberMuted);
      expect(refused.data).toEqual({ muted_until: until });
      expect((await send('other', group, 'not muted')).status_code).toBe(0);
      expect((await send('lead', group, 'leader speaks')).status_code).toBe(0);

      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, Date.parse(until) - Date.now()) + 100),
      );
      expect((await send('mem1', group, 'free again')).status_code).toBe(0);
      expect((await members()).find((m) => m.account_id === mem.id)?.muted_until).toBeNull();
    });

    it('ends when the leader lifts it', async () => {
      const until = ok(await mute(lead, mem.id, 3600)).muted_until as string;
      expect((await send('mem1', group, 'muted')).status_code).toBe(ErrorCode.MemberMuted);
      await watch.expect(
        toEach(
          GROUP,
          frame(PUSH_EVENTS.groupMemberMuted, {
            relation_id: group,
            account_id: mem.id,
            muted_until: until,
          }),
        ),
        mutedPush,
      );
      ok(await unmute(lead, mem.id));
      await watch.expect(
        toEach(
          GROUP,
          frame(PUSH_EVENTS.groupMemberMuted, {
            relation_id: group,
            account_id: mem.id,
            muted_until: null,
          }),
        ),
        mutedPush,
      );
      expect((await send('mem1', group, 'unmuted')).status_code).toBe(0);
      expect((await members()).every((m) => m.muted_until === null)).toBe(true);
    });
  });
});
