import { CLOSE_CODES, ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import type { WsPush } from '@chat/testing';
import { createAccount, makeFriends, registerUser, type Actor } from './support/actors';
import { ok, type ApiClient, type Reply } from './support/http';
import { offSpellings } from './support/ids';
import { frame, PushWatch, toEach } from './support/push-watch';
import { onBus, startTargetStack, type TargetStack } from './support/target';

/** The wire shapes this suite reads (docs/api.md §3). */
interface SettingGroup {
  relation_id: number;
  group_info: { relation_id: number; name: string; description: string; avatar: string };
}
interface Member {
  account_id: number;
  is_leader: boolean;
}
interface Notice {
  id: number;
  msg_content: string;
  create_at: string;
}

const DEFAULT_AVATAR_PATTERN = /^https?:\/\//;

/**
 * Groups and group notices (docs/api.md §10, §13) against the api, persister, notifier and two
 * gateways running as their own processes on real Postgres, Redis and Kafka; or against the
 * standalone server (E2E_TARGET). Pushes are read as clients see them, on sockets: two devices
 * each for leader and small (one per gateway), one each for big, stranger and outsider.
 */
describe('groups and group notices over REST', () => {
  let stack: TargetStack;
  let api: ApiClient;
  // Created in this order, so small.id < leader.id < big.id (docs/pitfalls.md §18).
  let small: Actor;
  let leader: Actor;
  let big: Actor;
  let stranger: Actor;
  let outsider: Actor;
  let leaderUserToken: string;
  let bigUserToken: string;
  /** The friendships of leader with small and with big. */
  let leaderSmall: number;
  let leaderBig: number;
  let watch: PushWatch;
  const LEADER = ['leader1', 'leader2'];
  const SMALL = ['small1', 'small2'];
  /** The devices of the first group's members, once all three are in. */
  const MEMBERS = [...LEADER, ...SMALL, 'big'];

  beforeAll(async () => {
    // The persister stores the friendships' "成为好友" messages on both targets alike; the
    // notifier and the gateways carry the pushes to the sockets.
    stack = await startTargetStack('e2e_groups', {}, { gateways: 2, workers: true });
    api = stack.api;
    const one = await registerUser(stack, 'group-one@example.com');
    const two = await registerUser(stack, 'group-two@example.com');
    const three = await registerUser(stack, 'group-three@example.com');
    small = await createAccount(api, one.token, 'small');
    leader = await createAccount(api, two.token, 'leader');
    big = await createAccount(api, three.token, 'big');
    stranger = await createAccount(api, one.token, 'stranger');
    outsider = await createAccount(api, three.token, 'outsider');
    leaderUserToken = two.token;
    bigUserToken = three.token;
    watch = await PushWatch.open(stack, [
      { name: 'leader1', token: leader.token },
      { name: 'leader2', token: leader.token },
      { name: 'small1', token: small.token },
      { name: 'small2', token: small.token },
      { name: 'big', token: big.token },
      { name: 'stranger', token: stranger.token },
      { name: 'outsider', token: outsider.token },
    ]);
    leaderSmall = await makeFriends(api, leader, small);
    leaderBig = await makeFriends(api, leader, big);
    await makeFriends(api, small, stranger);
    // Each befriending pushes the application (made, then accepted) and the first message to
    // both sides (checked in the social suite): all of it has arrived before the tests start.
    const befriended = [
      frame(PUSH_EVENTS.application, expect.anything()),
      frame(PUSH_EVENTS.application, expect.anything()),
      frame(PUSH_EVENTS.sendMsg, expect.anything()),
    ];
    await watch.expect({
      ...toEach(LEADER, ...befriended, ...befriended),
      ...toEach(SMALL, ...befriended, ...befriended),
      big: befriended,
      stranger: befriended,
    });
  }, 180_000);

  afterAll(async () => {
    await watch?.close();
    await stack?.stop();
  });

  /** Each test looks only at the pushes its own calls cause. */
  beforeEach(() => watch?.mark());

  const as = (who: Actor) => ({
    post: (path: string, body: unknown) => api.post(path, { token: who.token, body }),
    get: (path: string, query: Record<string, string | number> = {}) =>
      api.get(path, { token: who.token, query }),
  });

  const code = (r: Reply) => r.status_code;

  /**
   * Not a push, so no socket shows it: the change (with `event`, its push; none for a new
   * group) marks the relation's cached member lists stale (docs/outbox.md). Checked on
   * chat.events where the target lets a test read it.
   */
  const expectMembershipChanged = (relationId: number, event?: string) =>
    onBus(stack, async (events) => {
      const e = await events.find(
        (e) =>
          e.effects?.membershipChanged?.includes(relationId) === true && e.push?.event === event,
        `membership change of relation ${relationId}`,
      );
      expect(e.effects?.membershipChanged).toEqual([relationId]);
    });

  /** A group push of docs/protocol.md §4: every one names its group. */
  const groupPush = (event: string, relationId: number, data: Record<string, unknown> = {}) =>
    frame(event, { relation_id: relationId, ...data });

  async function newGroup(owner: Actor, name: string, description = 'a group'): Promise<number> {
    return ok(await as(owner).post('/api/group/create', { name, description })).relation_id;
  }

  describe('a group’s life', () => {
    let groupId: number;
    let noticeId: number;

    it('creates a group led by the caller, with the default avatar really stored', async () => {
      const created = ok(
        await as(leader).post('/api/group/create', { name: '登山 club', description: 'we walk' }),
      );
      groupId = created.relation_id;
      expect(created).toEqual({
        name: '登山 club',
        account_id: leader.id,
        relation_id: expect.any(Number),
        description: 'we walk',
        avatar: expect.stringMatching(DEFAULT_AVATAR_PATTERN),
      });
      // What the list reads back from the database is the same avatar (docs/pitfalls.md §19).
      const list = ok(await as(leader).get('/api/group/list'));
      expect(list.list).toEqual([
        {
          relation_id: groupId,
          relation_type: 'group',
          nick_name: '',
          is_not_disturb: false,
          is_pin: false,
          pin_time: expect.stringMatching(/Z$/),
          is_show: true,
          last_show: expect.stringMatching(/Z$/),
          group_info: {
            relation_id: groupId,
            name: '登山 club',
            description: 'we walk',
            avatar: created.avatar,
          },
        },
      ]);
      expect(list.total).toBe(1);
      expect(ok(await as(leader).get('/api/group/members', { relation_id: groupId }))).toEqual([
        {
          account_id: leader.id,
          name: 'leader',
          avatar: created.avatar,
          nick_name: '',
          is_leader: true,
          muted_until: null,
        },
      ]);
      // No push (docs/api.md §10), not even to the leader's devices.
      await watch.expectNothing();
      await expectMembershipChanged(groupId);
    });

    it('validates names and descriptions by code points', async () => {
      const long = await as(leader).post('/api/group/create', {
        name: 'x'.repeat(51),
        description: 'd',
      });
      expect(code(long)).toBe(ErrorCode.InvalidParams);
      expect(long.status_msg).toMatch(/name/);
      const missing = await as(leader).post('/api/group/create', { name: 'n' });
      expect(code(missing)).toBe(ErrorCode.InvalidParams);
      expect(missing.status_msg).toMatch(/description/);
      // 50 four-byte characters are 50 code points: accepted.
      const emoji = ok(
        await as(leader).post('/api/group/create', { name: '😀'.repeat(50), description: 'd' }),
      );
      ok(await as(leader).post('/api/group/dissolve', { relation_id: emoji.relation_id }));
      // Its one member was the leader: both its devices, no one else.
      await watch.expect(toEach(LEADER, groupPush(PUSH_EVENTS.groupDissolved, emoji.relation_id)));
    });

    it('invites only friends of the inviter, whichever id is smaller, and pushes once per added account', async () => {
      const r = ok(
        await as(leader).post('/api/group/invite', {
          relation_id: groupId,
          account_id: [big.id, stranger.id, leader.id, small.id, big.id],
        }),
      );
      expect(r).toEqual({ invite_member: [big.id, small.id] });
      // One push per added account, in that order, to every member after the change, the new
      // ones included: not to stranger, who is no friend of the leader's, nor to outsider.
      await watch.expect(
        toEach(
          [...LEADER, ...SMALL, 'big'],
          groupPush(PUSH_EVENTS.groupNewAccount, groupId, { account_id: big.id }),
          groupPush(PUSH_EVENTS.groupNewAccount, groupId, { account_id: small.id }),
        ),
      );
      await expectMembershipChanged(groupId, PUSH_EVENTS.groupNewAccount);
      // Nothing new to add: success, empty list, no push.
      expect(
        ok(
          await as(small).post('/api/group/invite', {
            relation_id: groupId,
            account_id: [leader.id, big.id],
          }),
        ),
      ).toEqual({ invite_member: [] });
      expect(
        code(
          await as(stranger).post('/api/group/invite', {
            relation_id: groupId,
            account_id: [small.id],
          }),
        ),
      ).toBe(ErrorCode.NotGroupMember);
      expect(
        code(await as(leader).post('/api/group/invite', { relation_id: groupId, account_id: [] })),
      ).toBe(ErrorCode.InvalidParams);
      expect(
        code(
          await as(leader).post('/api/group/invite', {
            relation_id: groupId,
            account_id: Array.from({ length: 201 }, (_, i) => i + 1),
          }),
        ),
      ).toBe(ErrorCode.InvalidParams);
      await watch.expectNothing();
    });

    it('lists members leader first, then by name, to members only', async () => {
      const members = ok(await as(small).get('/api/group/members', { relation_id: groupId }));
      expect(members.map((m: { account_id: number }) => m.account_id)).toEqual([
        leader.id,
        big.id,
        small.id,
      ]);
      expect(members[1]).toEqual({
        account_id: big.id,
        name: 'big',
        avatar: expect.any(String),
        nick_name: '',
        is_leader: false,
        muted_until: null,
      });
      expect(code(await as(stranger).get('/api/group/members', { relation_id: groupId }))).toBe(
        ErrorCode.NotGroupMember,
      );
      expect(code(await as(small).get('/api/group/members', { relation_id: 'x' }))).toBe(
        ErrorCode.InvalidParams,
      );
      await watch.expectNothing();
    });

    it('lets any member rename the group, and refuses non-members and friendships', async () => {
      expect(
        ok(
          await as(small).post('/api/group/update', {
            relation_id: groupId,
            name: 'Hiking 100%',
            description: 'we walk far',
          }),
        ),
      ).toEqual({ name: 'Hiking 100%', description: 'we walk far' });
      const seen = ok(await as(big).get('/api/group/list'));
      expect(seen.list[0].group_info).toMatchObject({
        name: 'Hiking 100%',
        description: 'we walk far',
      });
      expect(
        code(
          await as(stranger).post('/api/group/update', {
            relation_id: groupId,
            name: 'mine',
            description: 'mine',
          }),
        ),
      ).toBe(ErrorCode.NotGroupMember);
      const friendship = ok(await as(leader).get('/api/account/info', { account_id: small.id }))
        .relation_id as number;
      expect(
        code(
          await as(leader).post('/api/group/update', {
            relation_id: friendship,
            name: 'n',
            description: 'd',
          }),
        ),
      ).toBe(ErrorCode.RelationNotFound);
      // A rename pushes nothing (docs/api.md §10).
      await watch.expectNothing();
    });

    it('finds the caller’s groups by a case-insensitive substring, wildcards literal, paged', async () => {
      const other = await newGroup(big, 'hiking later', 'second');
      const byName = ok(await as(big).post('/api/group/name', { name: 'HIKING' }));
      expect(byName.total).toBe(2);
      expect(byName.list.map((g: SettingGroup) => g.relation_id)).toEqual([groupId, other]);
      const paged = await api.post('/api/group/name', {
        token: big.token,
        query: { page: 2, page_size: 1 },
        body: { name: 'hiking' },
      });
      expect(ok(paged)).toMatchObject({ total: 2, list: [{ relation_id: other }] });
      expect(ok(await as(big).post('/api/group/name', { name: '0%' })).total).toBe(1);
      expect(ok(await as(big).post('/api/group/name', { name: '%' })).total).toBe(1);
      expect(ok(await as(big).post('/api/group/name', { name: 'nothing' }))).toEqual({
        list: [],
        total: 0,
      });
      // Only the caller's own groups.
      expect(ok(await as(stranger).post('/api/group/name', { name: 'hiking' }))).toEqual({
        list: [],
        total: 0,
      });
      ok(await as(big).post('/api/group/dissolve', { relation_id: other }));
      await watch.expect({ big: [groupPush(PUSH_EVENTS.groupDissolved, other)] });
    });

    it('publishes notices from the leader only, pushed with msg_extent', async () => {
      const expand = { remind: [{ idx: 1, account_id: small.id }] };
      const created = ok(
        await as(leader).post('/api/notify/create', {
          relation_id: groupId,
          msg_content: 'meet at 8',
          msg_expand: expand,
        }),
      );
      noticeId = created.id;
      expect(created).toEqual({
        id: expect.any(Number),
        relation_id: groupId,
        msg_content: 'meet at 8',
        msg_expand: expand,
        account_id: leader.id,
        create_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        read_ids: null,
      });
      // Every member's devices, the author's included; not stranger's nor outsider's.
      await watch.expect(
        toEach(
          MEMBERS,
          groupPush(PUSH_EVENTS.createNotify, groupId, {
            id: noticeId,
            account_id: leader.id,
            msg_content: 'meet at 8',
            msg_extent: expand,
            create_at: created.create_at,
          }),
        ),
      );

      expect(
        code(
          await as(small).post('/api/notify/create', { relation_id: groupId, msg_content: 'x' }),
        ),
      ).toBe(ErrorCode.NotGroupLeader);
      expect(
        code(
          await as(stranger).post('/api/notify/create', { relation_id: groupId, msg_content: 'x' }),
        ),
      ).toBe(ErrorCode.NotGroupMember);
      expect(
        code(
          await as(leader).post('/api/notify/create', {
            relation_id: groupId,
            msg_content: 'x'.repeat(1001),
          }),
        ),
      ).toBe(ErrorCode.InvalidParams);
      const second = ok(
        await as(leader).post('/api/notify/create', {
          relation_id: groupId,
          msg_content: 'second',
        }),
      );
      // The refused calls pushed nothing: only the second notice arrives.
      await watch.expect(
        toEach(
          MEMBERS,
          groupPush(PUSH_EVENTS.createNotify, groupId, {
            id: second.id,
            account_id: leader.id,
            msg_content: 'second',
            msg_extent: null,
            create_at: second.create_at,
          }),
        ),
      );
    });

    it('lists notices newest first with read_ids = [author]', async () => {
      const r = ok(await as(big).get('/api/notify/getnotify', { relation_id: groupId }));
      expect(r.total).toBe(2);
      expect(r.list.map((n: Notice) => n.msg_content)).toEqual(['second', 'meet at 8']);
      expect(r.list[1]).toMatchObject({
        id: noticeId,
        account_id: leader.id,
        read_ids: [leader.id],
      });
      expect(r.list[0].msg_expand).toBeNull();
      expect(code(await as(stranger).get('/api/notify/getnotify', { relation_id: groupId }))).toBe(
        ErrorCode.NotGroupMember,
      );
      await watch.expectNothing();
    });

    it('lets any member edit a notice of this group, and 9001 for one that is not in it', async () => {
      expect(
        ok(
          await as(small).post('/api/notify/update', {
            id: noticeId,
            relation_id: groupId,
            msg_content: 'meet at 9',
          }),
        ),
      ).toEqual({});
      const list = ok(await as(big).get('/api/notify/getnotify', { relation_id: groupId }));
      expect(list.list[0]).toMatchObject({
        id: noticeId,
        account_id: small.id,
        read_ids: [small.id],
      });
      // The notice as it is now, its editor as its author and its time that of the edit.
      await watch.expect(
        toEach(
          MEMBERS,
          groupPush(PUSH_EVENTS.updateNotify, groupId, {
            id: noticeId,
            account_id: small.id,
            msg_content: 'meet at 9',
            msg_extent: null,
            create_at: list.list[0].create_at,
          }),
        ),
      );

      // A notice of another group, named with this group's id, is not found (docs/pitfalls.md §10).
      const elsewhere = await newGroup(small, 'elsewhere');
      const foreignNotice = ok(
        await as(small).post('/api/notify/create', { relation_id: elsewhere, msg_content: 'mine' }),
      );
      const foreign = foreignNotice.id;
      expect(
        code(
          await as(big).post('/api/notify/update', {
            id: foreign,
            relation_id: groupId,
            msg_content: 'hijack',
          }),
        ),
      ).toBe(ErrorCode.NotifyNotFound);
      expect(
        code(
          await as(big).post('/api/notify/update', {
            id: 999_999_999,
            relation_id: groupId,
            msg_content: 'x',
          }),
        ),
      ).toBe(ErrorCode.NotifyNotFound);
      expect(
        code(await as(leader).get('/api/notify/delete', { id: foreign, relation_id: groupId })),
      ).toBe(ErrorCode.NotifyNotFound);
      const untouched = ok(
        await as(small).get('/api/notify/getnotify', { relation_id: elsewhere }),
      );
      expect(untouched.list).toEqual([
        expect.objectContaining({ id: foreign, msg_content: 'mine' }),
      ]);
      expect(
        code(
          await as(stranger).post('/api/notify/update', {
            id: noticeId,
            relation_id: groupId,
            msg_content: 'x',
          }),
        ),
      ).toBe(ErrorCode.NotGroupMember);
      ok(await as(small).post('/api/group/dissolve', { relation_id: elsewhere }));
      // The refused edits pushed nothing; the other group, whose one member is small, only
      // its notice and its end, to small’s devices.
      await watch.expect(
        toEach(
          SMALL,
          groupPush(PUSH_EVENTS.createNotify, elsewhere, {
            id: foreign,
            account_id: small.id,
            msg_content: 'mine',
            msg_extent: null,
            create_at: foreignNotice.create_at,
          }),
          groupPush(PUSH_EVENTS.groupDissolved, elsewhere),
        ),
      );
    });

    it('takes the group’s and the notice’s ids from the query string in canonical digits only', async () => {
      const group = String(groupId);
      const notice = String(noticeId);
      const calls: [string, (spelling: string) => Record<string, string>, string][] = [
        ['/api/group/members', (v) => ({ relation_id: v }), 'relation_id'],
        ['/api/notify/getnotify', (v) => ({ relation_id: v }), 'relation_id'],
        ['/api/notify/delete', (v) => ({ id: notice, relation_id: v }), 'relation_id'],
        ['/api/notify/delete', (v) => ({ id: v, relation_id: group }), 'id'],
      ];
      for (const [path, query, field] of calls) {
        const spellings = offSpellings(field === 'id' ? noticeId : groupId);
        for (const spelling of spellings) {
          const r = await as(leader).get(path, query(spelling));
          expect([path, spelling, r.status_code, r.status_msg]).toEqual([
            path,
            spelling,
            ErrorCode.InvalidParams,
            expect.stringMatching(new RegExp(`^parameters not valid: ${field}: `)),
          ]);
        }
      }
      // Nothing was deleted by a refused spelling; the canonical digits read the group.
      const members = ok(await as(leader).get('/api/group/members', { relation_id: group }));
      expect(members.map((m: Member) => m.account_id)).toEqual([leader.id, big.id, small.id]);
      const notices = ok(await as(leader).get('/api/notify/getnotify', { relation_id: group }));
      expect(notices.total).toBe(2);
      expect(notices.list.map((n: Notice) => n.id)).toContain(noticeId);
    });

    it('deletes a notice by the leader only (a GET), 9001 once gone', async () => {
      expect(
        code(await as(small).get('/api/notify/delete', { id: noticeId, relation_id: groupId })),
      ).toBe(ErrorCode.NotGroupLeader);
      expect(
        code(await as(stranger).get('/api/notify/delete', { id: noticeId, relation_id: groupId })),
      ).toBe(ErrorCode.NotGroupMember);
      const r = await as(leader).get('/api/notify/delete', { id: noticeId, relation_id: groupId });
      expect(r.status_code).toBe(0);
      expect(r.data ?? null).toBeNull();
      expect(
        code(await as(leader).get('/api/notify/delete', { id: noticeId, relation_id: groupId })),
      ).toBe(ErrorCode.NotifyNotFound);
      const left = ok(await as(leader).get('/api/notify/getnotify', { relation_id: groupId }));
      expect(left.list.map((n: Notice) => n.msg_content)).toEqual(['second']);
      // Deleting a notice pushes nothing (docs/api.md §13).
      await watch.expectNothing();
    });

    it('lets a member quit, telling the quitter too; the leader and non-members cannot', async () => {
      expect(code(await as(leader).post('/api/group/quit', { relation_id: groupId }))).toBe(
        ErrorCode.LeaderCannotQuit,
      );
      // Not a silent success (docs/pitfalls.md §15).
      expect(code(await as(stranger).post('/api/group/quit', { relation_id: groupId }))).toBe(
        ErrorCode.NotGroupMember,
      );
      // `account_id` is accepted and ignored: the caller quits, not the named account.
      expect(
        ok(await as(small).post('/api/group/quit', { relation_id: groupId, account_id: big.id })),
      ).toEqual({});
      // The remaining members and the quitter, each on every device. The refused calls before
      // it pushed nothing: their pushes would share its bus key and arrive first.
      await watch.expect(
        toEach(MEMBERS, groupPush(PUSH_EVENTS.groupQuitAccount, groupId, { account_id: small.id })),
      );
      await expectMembershipChanged(groupId, PUSH_EVENTS.groupQuitAccount);
      expect(code(await as(small).post('/api/group/quit', { relation_id: groupId }))).toBe(
        ErrorCode.NotGroupMember,
      );
      expect(code(await as(small).get('/api/group/members', { relation_id: groupId }))).toBe(
        ErrorCode.NotGroupMember,
      );
      const members = ok(await as(big).get('/api/group/members', { relation_id: groupId }));
      expect(members.map((m: Member) => m.account_id)).toEqual([leader.id, big.id]);
      await watch.expectNothing();
    });

    it('transfers the leadership to a member only; to oneself it changes nothing', async () => {
      expect(
        code(
          await as(big).post('/api/group/transfer', {
            relation_id: groupId,
            to_account_id: big.id,
          }),
        ),
      ).toBe(ErrorCode.NotGroupLeader);
      expect(
        code(
          await as(leader).post('/api/group/transfer', {
            relation_id: groupId,
            to_account_id: small.id,
          }),
        ),
      ).toBe(ErrorCode.NotGroupMember);
      expect(
        ok(
          await as(leader).post('/api/group/transfer', {
            relation_id: groupId,
            to_account_id: leader.id,
          }),
        ),
      ).toEqual({});
      expect(
        ok(
          await as(leader).post('/api/group/transfer', {
            relation_id: groupId,
            to_account_id: big.id,
          }),
        ),
      ).toEqual({});
      // All members, the new leader included; small, who left, hears nothing. The refused
      // transfers and the one to the leader itself pushed nothing (the same bus key: they
      // would have arrived first).
      await watch.expect(
        toEach(
          [...LEADER, 'big'],
          groupPush(PUSH_EVENTS.groupTransferred, groupId, { account_id: big.id }),
        ),
      );
      const members = ok(await as(leader).get('/api/group/members', { relation_id: groupId }));
      expect(members.map((m: Member) => [m.account_id, m.is_leader])).toEqual([
        [big.id, true],
        [leader.id, false],
      ]);
      // The former leader may now quit and no longer dissolve or publish notices.
      expect(code(await as(leader).post('/api/group/dissolve', { relation_id: groupId }))).toBe(
        ErrorCode.NotGroupLeader,
      );
      expect(
        code(
          await as(leader).post('/api/notify/create', { relation_id: groupId, msg_content: 'x' }),
        ),
      ).toBe(ErrorCode.NotGroupLeader);
      await watch.expectNothing();
    });

    it('refuses to delete an account that leads a group (3006)', async () => {
      const r = await api.delete('/api/account/delete', {
        token: bigUserToken,
        body: { account_id: big.id },
      });
      expect(r.status_code).toBe(ErrorCode.AccountIsGroupLeader);
      expect(ok(await as(big).get('/api/group/members', { relation_id: groupId }))).toHaveLength(2);
      await watch.expectNothing();
    });

    it('dissolves the group, telling every member as they were before', async () => {
      const bye = ok(
        await as(big).post('/api/notify/create', { relation_id: groupId, msg_content: 'bye' }),
      );
      expect(ok(await as(big).post('/api/group/dissolve', { relation_id: groupId }))).toEqual({});
      // The members as they were: the last notice, then the end.
      await watch.expect(
        toEach(
          [...LEADER, 'big'],
          groupPush(PUSH_EVENTS.createNotify, groupId, {
            id: bye.id,
            account_id: big.id,
            msg_content: 'bye',
            msg_extent: null,
            create_at: bye.create_at,
          }),
          groupPush(PUSH_EVENTS.groupDissolved, groupId),
        ),
      );
      await expectMembershipChanged(groupId, PUSH_EVENTS.groupDissolved);
      for (const who of [leader, big]) {
        expect(code(await as(who).get('/api/group/members', { relation_id: groupId }))).toBe(
          ErrorCode.NotGroupMember,
        );
        expect(code(await as(who).get('/api/notify/getnotify', { relation_id: groupId }))).toBe(
          ErrorCode.NotGroupMember,
        );
        expect(
          ok(await as(who).get('/api/group/list')).list.map((g: SettingGroup) => g.relation_id),
        ).not.toContain(groupId);
      }
      expect(code(await as(big).post('/api/group/dissolve', { relation_id: groupId }))).toBe(
        ErrorCode.NotGroupLeader,
      );
      await watch.expectNothing();
    });

    it('deletes a former leader once it leads nothing, telling its friends and the groups it was in', async () => {
      const g = await newGroup(small, 'farewell');
      ok(await as(small).post('/api/group/invite', { relation_id: g, account_id: [leader.id] }));
      const led = await newGroup(leader, 'led');
      const refused = await api.delete('/api/account/delete', {
        token: leaderUserToken,
        body: { account_id: leader.id },
      });
      expect(refused.status_code).toBe(ErrorCode.AccountIsGroupLeader);
      ok(await as(leader).post('/api/group/dissolve', { relation_id: led }));
      await watch.expect({
        ...toEach(SMALL, groupPush(PUSH_EVENTS.groupNewAccount, g, { account_id: leader.id })),
        ...toEach(
          LEADER,
          groupPush(PUSH_EVENTS.groupNewAccount, g, { account_id: leader.id }),
          groupPush(PUSH_EVENTS.groupDissolved, led),
        ),
      });
      ok(
        await api.delete('/api/account/delete', {
          token: leaderUserToken,
          body: { account_id: leader.id },
        }),
      );
      // Each former friend: delete_relation for its friendship; the group's remaining member:
      // group_quit_account. The deleted account's devices are told why and closed (4403); as
      // they close, one may or may not tell the other (account_logout) first: left out.
      await watch.expect(
        {
          ...toEach(
            SMALL,
            frame(PUSH_EVENTS.deleteRelation, { relation_id: leaderSmall }),
            groupPush(PUSH_EVENTS.groupQuitAccount, g, { account_id: leader.id }),
          ),
          big: [frame(PUSH_EVENTS.deleteRelation, { relation_id: leaderBig })],
          ...toEach(
            LEADER,
            frame(PUSH_EVENTS.error, {
              status_code: ErrorCode.AccountNotFound,
              status_msg: 'account deleted',
            }),
          ),
        },
        (push: WsPush) => push.event !== PUSH_EVENTS.accountLogout,
      );
      for (const name of LEADER) {
        expect((await watch.socket(name).closed).code).toBe(CLOSE_CODES.accountGone);
      }
      expect(ok(await as(small).get('/api/group/members', { relation_id: g }))).toHaveLength(1);
    });
  });

  describe('authorisation: an account of another user acts on a group it is not in', () => {
    let groupId: number;
    let noticeId: number;

    beforeAll(async () => {
      watch.mark();
      groupId = await newGroup(small, 'private', 'members only');
      ok(
        await as(small).post('/api/group/invite', {
          relation_id: groupId,
          account_id: [stranger.id],
        }),
      );
      const notice = ok(
        await as(small).post('/api/notify/create', { relation_id: groupId, msg_content: 'secret' }),
      );
      noticeId = notice.id;
      await watch.expect(
        toEach(
          [...SMALL, 'stranger'],
          groupPush(PUSH_EVENTS.groupNewAccount, groupId, { account_id: stranger.id }),
          groupPush(PUSH_EVENTS.createNotify, groupId, {
            id: noticeId,
            account_id: small.id,
            msg_content: 'secret',
            msg_extent: null,
            create_at: notice.create_at,
          }),
        ),
      );
    });

    it('is refused by every endpoint and changes nothing', async () => {
      const o = as(outsider);
      const refusals: [string, Promise<Reply>, number][] = [
        [
          'transfer',
          o.post('/api/group/transfer', { relation_id: groupId, to_account_id: outsider.id }),
          ErrorCode.NotGroupLeader,
        ],
        [
          'dissolve',
          o.post('/api/group/dissolve', { relation_id: groupId }),
          ErrorCode.NotGroupLeader,
        ],
        [
          'update',
          o.post('/api/group/update', { relation_id: groupId, name: 'taken', description: 'over' }),
          ErrorCode.NotGroupMember,
        ],
        [
          'invite',
          o.post('/api/group/invite', { relation_id: groupId, account_id: [outsider.id] }),
          ErrorCode.NotGroupMember,
        ],
        ['quit', o.post('/api/group/quit', { relation_id: groupId }), ErrorCode.NotGroupMember],
        [
          'members',
          o.get('/api/group/members', { relation_id: groupId }),
          ErrorCode.NotGroupMember,
        ],
        [
          'notify create',
          o.post('/api/notify/create', { relation_id: groupId, msg_content: 'spam' }),
          ErrorCode.NotGroupMember,
        ],
        [
          'notify update',
          o.post('/api/notify/update', { id: noticeId, relation_id: groupId, msg_content: 'spam' }),
          ErrorCode.NotGroupMember,
        ],
        [
          'getnotify',
          o.get('/api/notify/getnotify', { relation_id: groupId }),
          ErrorCode.NotGroupMember,
        ],
        [
          'notify delete',
          o.get('/api/notify/delete', { id: noticeId, relation_id: groupId }),
          ErrorCode.NotGroupMember,
        ],
      ];
      for (const [what, reply, expected] of refusals) {
        expect([what, code(await reply)]).toEqual([what, expected]);
      }
      // The lists only ever show the caller's own groups.
      expect(ok(await o.get('/api/group/list'))).toEqual({ list: [], total: 0 });
      expect(ok(await o.post('/api/group/name', { name: 'private' }))).toEqual({
        list: [],
        total: 0,
      });
      // A group id that does not exist is refused the same way.
      expect(code(await o.get('/api/group/members', { relation_id: 999_999_999 }))).toBe(
        ErrorCode.NotGroupMember,
      );

      const members = ok(await as(small).get('/api/group/members', { relation_id: groupId }));
      expect(members.map((m: Member) => [m.account_id, m.is_leader])).toEqual([
        [small.id, true],
        [stranger.id, false],
      ]);
      const info = ok(await as(small).get('/api/group/list')).list.find(
        (g: SettingGroup) => g.relation_id === groupId,
      );
      expect(info.group_info).toMatchObject({ name: 'private', description: 'members only' });
      const notices = ok(await as(stranger).get('/api/notify/getnotify', { relation_id: groupId }));
      expect(notices.list).toEqual([
        expect.objectContaining({ id: noticeId, msg_content: 'secret', account_id: small.id }),
      ]);
      // No one heard of any of it.
      await watch.expectNothing();
    });

    it('is refused without an account token', async () => {
      const r = await api.post('/api/group/create', { body: { name: 'n', description: 'd' } });
      expect(r.status_code).toBe(ErrorCode.AuthMissing);
      const userToken = await api.get('/api/group/list', { token: bigUserToken });
      expect(userToken.status_code).toBe(ErrorCode.AuthFailed);
      await watch.expectNothing();
    });
  });
});
