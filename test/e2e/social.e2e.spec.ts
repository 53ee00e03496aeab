import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { ErrorCode, PUSH_EVENTS, SYSTEM_TEXTS, TOPICS, type StoredRecord } from '@chat/protocol';
import { waitFor, type SuiteContext } from '@chat/testing';
import { createAccount, makeFriends, registerUser, type Actor } from './support/actors';
import { ok, type ApiClient, type Reply } from './support/http';
import { offSpellings } from './support/ids';
import { frame, PushWatch, toEach } from './support/push-watch';
import { onBus, startTargetStack, type TargetStack } from './support/target';

/** The wire shapes this suite reads (docs/api.md §3). */
interface ApplicationInfo {
  account1_id: number;
  account2_id: number;
  apply_msg: string;
  refuse_msg: string;
  status: '已申请' | '已同意' | '已拒绝';
  create_at: string;
  update_at: string;
  name: string;
  avatar: string;
}
interface FriendInfo {
  account_id: number;
  name: string;
  avatar: string;
}
interface SettingFriend {
  relation_id: number;
  relation_type: 'friend';
  nick_name: string;
  is_not_disturb: boolean;
  is_pin: boolean;
  pin_time: string;
  is_show: boolean;
  last_show: string;
  friend_info: FriendInfo;
}
interface Setting extends Omit<SettingFriend, 'relation_type' | 'friend_info'> {
  relation_type: 'friend' | 'group';
  friend_info: FriendInfo | null;
  group_info: { relation_id: number; name: string; description: string; avatar: string } | null;
}

/**
 * Reads `chat.stored` from the beginning: what the persister committed, with each
 * message's per-conversation sequence number. Kafka only: on the standalone target the
 * bus is inside the server.
 */
class StoredLog {
  readonly records: StoredRecord[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(ctx: SuiteContext): Promise<StoredLog> {
    const { kafkaBrokers, topicPrefix, groupPrefix } = ctx;
    const kafka = new Kafka({
      clientId: 'e2e-stored',
      brokers: kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const topic = `${topicPrefix}${TOPICS.stored}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const consumer = kafka.consumer({
      groupId: `${groupPrefix}e2e-stored`,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    const log = new StoredLog(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        log.records.push(JSON.parse(message.value!.toString()) as StoredRecord);
      },
    });
    return log;
  }

  /** The first stored message of a relation, once it is there. */
  first(relationId: number): Promise<StoredRecord> {
    return waitFor(
      () =>
        this.records
          .filter((r) => r.message.relation_id === relationId)
          .sort((a, b) => a.seq - b.seq)[0],
      { timeoutMs: 20_000, what: `a stored message of relation ${relationId}` },
    );
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const SETTING_INFO_KEYS = [
  'relation_id',
  'relation_type',
  'nick_name',
  'is_not_disturb',
  'is_pin',
  'pin_time',
  'is_show',
  'last_show',
];

/**
 * Friend requests, conversation settings and friends (docs/api.md §8, §9) against the api,
 * persister, notifier and two gateways running as their own processes on real Postgres, Redis
 * and Kafka; or against the standalone server (E2E_TARGET). Pushes are read as clients see
 * them, on sockets: two devices each for alice and bob (one per gateway), one each for carol,
 * for dave (another account of alice's user) and for mallory (another account of carol's).
 */
describe('friend requests, settings and friends over REST', () => {
  let stack: TargetStack;
  let api: ApiClient;
  let alice: Actor;
  let bob: Actor;
  let carol: Actor;
  let dave: Actor;
  /** An account of another user, for the authorisation checks. */
  let mallory: Actor;
  let aliceUserToken: string;
  /** Distributed target only (see StoredLog). */
  let storedLog: StoredLog | undefined;
  let watch: PushWatch;
  const ALICE = ['alice1', 'alice2'];
  const BOB = ['bob1', 'bob2'];

  beforeAll(async () => {
    // The persister stores the "成为好友" system message and reports it on chat.stored; the
    // notifier and the gateways carry the pushes to the sockets.
    stack = await startTargetStack('e2e_social', {}, { gateways: 2, workers: true });
    if (stack.ctx) storedLog = await StoredLog.start(stack.ctx);
    api = stack.api;
    const one = await registerUser(stack, 'social-one@example.com');
    const two = await registerUser(stack, 'social-two@example.com');
    const three = await registerUser(stack, 'social-three@example.com');
    aliceUserToken = one.token;
    alice = await createAccount(api, one.token, 'alice');
    bob = await createAccount(api, two.token, 'bob');
    carol = await createAccount(api, three.token, 'carol');
    dave = await createAccount(api, one.token, 'dave');
    mallory = await createAccount(api, three.token, 'mallory');
    watch = await PushWatch.open(stack, [
      { name: 'alice1', token: alice.token },
      { name: 'alice2', token: alice.token },
      { name: 'bob1', token: bob.token },
      { name: 'bob2', token: bob.token },
      { name: 'carol', token: carol.token },
      { name: 'dave', token: dave.token },
      { name: 'mallory', token: mallory.token },
    ]);
  }, 180_000);

  afterAll(async () => {
    await watch?.close();
    await storedLog?.stop();
    await stack?.stop();
  });

  /** Each test looks only at the pushes its own calls cause. */
  beforeEach(() => watch?.mark());

  const as = (who: Actor) => ({
    get: (path: string, query: Record<string, string | number> = {}) =>
      api.get(path, { token: who.token, query }),
    post: (path: string, body: unknown) => api.post(path, { token: who.token, body }),
    put: (path: string, body: unknown) => api.put(path, { token: who.token, body }),
    delete: (path: string, body: unknown) => api.delete(path, { token: who.token, body }),
  });
  const code = (r: Reply) => r.status_code;

  const avatarOf = async (who: Actor): Promise<string> =>
    ok(await as(who).get('/api/account/info', { account_id: who.id })).avatar;

  /**
   * The `application` push `viewer` should get for the application of `applicant` to
   * `target`: ApplicationInfo with the other party's name and avatar (docs/protocol.md §4),
   * its times those of the viewer's application list.
   */
  async function applicationSeenBy(
    viewer: Actor,
    applicant: Actor,
    target: Actor,
    fields: Pick<ApplicationInfo, 'apply_msg' | 'refuse_msg' | 'status'>,
  ): Promise<ApplicationInfo> {
    const listed = (await applicationsOf(viewer)).list.find(
      (a) => a.account1_id === applicant.id && a.account2_id === target.id,
    );
    const other = viewer.id === applicant.id ? target : applicant;
    return {
      account1_id: applicant.id,
      account2_id: target.id,
      ...fields,
      create_at: listed?.create_at ?? 'not listed',
      update_at: listed?.update_at ?? 'not listed',
      name: other.name,
      avatar: await avatarOf(other),
    };
  }

  /**
   * Checks that exactly the two parties' devices got the application push, each its own
   * view, and no one else anything.
   */
  async function expectApplicationPushes(
    applicant: Actor,
    target: Actor,
    fields: Pick<ApplicationInfo, 'apply_msg' | 'refuse_msg' | 'status'>,
  ): Promise<void> {
    const pushes = async (viewer: Actor) =>
      toEach(
        devicesOf(viewer),
        frame(PUSH_EVENTS.application, await applicationSeenBy(viewer, applicant, target, fields)),
      );
    await watch.expect({ ...(await pushes(applicant)), ...(await pushes(target)) });
  }

  const devicesOf = (who: Actor): string[] =>
    who === alice ? ALICE : who === bob ? BOB : [who.name];

  /**
   * The `send_msg` push of a friendship's "成为好友" system message: a complete MsgInfoWithRly
   * of a new message (docs/protocol.md §4), its id and time those of the stored message.
   */
  const becameFriendsPush = (relationId: number, stored: { id: number; create_at: string }) =>
    frame(PUSH_EVENTS.sendMsg, {
      msg_info: {
        id: stored.id,
        notify_type: 'system',
        msg_type: 'text',
        msg_content: SYSTEM_TEXTS.becameFriends,
        msg_extend: null,
        file_id: 0,
        account_id: 0,
        relation_id: relationId,
        create_at: stored.create_at,
        is_revoke: false,
        is_top: false,
        is_pin: false,
        pin_time: stored.create_at,
        read_ids: [],
        reply_count: 0,
        seq: 1,
        edit_at: null,
        mentioned_me: false,
        reactions: [],
        rly_msg: null,
      },
    });

  /** The `update_setting_state` push of docs/protocol.md §4. */
  const settingState = (type: 'pin' | 'show' | 'not_disturb', relationId: number, state: boolean) =>
    frame(PUSH_EVENTS.updateSettingState, { type, relation_id: relationId, state });

  /**
   * Proves that a call pushed nothing: a later call of the same account pushes under the
   * same bus key, and pushes of one key reach each socket in order, so once the later one
   * is the only push seen, the earlier call pushed nothing to anyone.
   */
  let markers = 0;
  async function expectQuiet(who: Actor, relationId: number): Promise<void> {
    // Digits only, so that no friend search of this suite matches the remark.
    const marker = `${++markers}-${Date.now()}`;
    ok(
      await as(who).put('/api/setting/update/nick_name', {
        relation_id: relationId,
        nick_name: marker,
      }),
    );
    await watch.expect(
      toEach(
        devicesOf(who),
        frame(PUSH_EVENTS.updateNickname, { relation_id: relationId, nick_name: marker }),
      ),
    );
  }

  /** A conversation's history from the start, as a client syncs it (persisted messages). */
  const historyOf = async (who: Actor, relationId: number) =>
    ok(
      await as(who).post('/api/msg/sync', {
        relations: [{ relation_id: relationId, after_seq: 0 }],
        limit: 50,
      }),
    ).list[0].messages as {
      id: number;
      seq: number;
      notify_type: string;
      msg_content: string;
      create_at: string;
    }[];

  const relationOf = async (who: Actor, other: Actor): Promise<number> =>
    ok(await as(who).get('/api/account/info', { account_id: other.id })).relation_id;
  const applicationsOf = async (who: Actor) =>
    ok(await as(who).get('/api/application/list')) as { list: ApplicationInfo[]; total: number };
  const friendsOf = async (who: Actor) =>
    ok(await as(who).get('/api/setting/friend/list')) as { list: SettingFriend[]; total: number };

  describe('applications', () => {
    it('creates an application and pushes it to both sides, each seeing the other’s name', async () => {
      ok(
        await as(alice).post('/api/application/create', {
          account_id: bob.id,
          apply_msg: '交个朋友',
        }),
      );
      // Each side's devices, and only they, get the application as that side sees it.
      await expectApplicationPushes(alice, bob, {
        apply_msg: '交个朋友',
        refuse_msg: '',
        status: '已申请',
      });
      const [listed] = (await applicationsOf(bob)).list;
      expect(listed).toMatchObject({
        create_at: expect.stringMatching(TIME),
        update_at: expect.stringMatching(TIME),
      });
    });

    it('lists the application for both sides, newest first, with the other party’s name', async () => {
      const ofBob = await applicationsOf(bob);
      expect(ofBob.total).toBe(1);
      expect(Object.keys(ofBob.list[0]!).sort()).toEqual(
        [
          'account1_id',
          'account2_id',
          'apply_msg',
          'refuse_msg',
          'status',
          'create_at',
          'update_at',
          'name',
          'avatar',
        ].sort(),
      );
      expect(ofBob.list[0]).toMatchObject({ account1_id: alice.id, name: 'alice' });
      expect((await applicationsOf(alice)).list[0]).toMatchObject({
        account2_id: bob.id,
        name: 'bob',
      });
      ok(
        await as(carol).post('/api/application/create', {
          account_id: bob.id,
          apply_msg: 'me too',
        }),
      );
      await expectApplicationPushes(carol, bob, {
        apply_msg: 'me too',
        refuse_msg: '',
        status: '已申请',
      });
      const paged = ok(await as(bob).get('/api/application/list', { page: 1, page_size: 1 }));
      expect(paged.total).toBe(2);
      expect(paged.list.map((a: ApplicationInfo) => a.account1_id)).toEqual([carol.id]);
      // Withdrawing an application pushes nothing (docs/api.md §8).
      ok(await as(carol).delete('/api/application/delete', { account_id: bob.id }));
      await watch.expectNothing();
    });

    it('refuses invalid applications with the spec’s codes', async () => {
      const create = (who: Actor, body: unknown) => as(who).post('/api/application/create', body);
      expect(code(await create(alice, { account_id: alice.id, apply_msg: 'me' }))).toBe(
        ErrorCode.ApplicationInvalid,
      );
      expect(code(await create(alice, { account_id: 9_000_000_000, apply_msg: 'ghost' }))).toBe(
        ErrorCode.AccountNotFound,
      );
      // A pending application exists between them, in either direction.
      expect(code(await create(alice, { account_id: bob.id, apply_msg: 'again' }))).toBe(
        ErrorCode.ApplicationExists,
      );
      expect(code(await create(bob, { account_id: alice.id, apply_msg: 'back' }))).toBe(
        ErrorCode.ApplicationExists,
      );
      expect(code(await create(alice, { account_id: bob.id, apply_msg: '' }))).toBe(
        ErrorCode.InvalidParams,
      );
      expect(code(await create(alice, { account_id: bob.id, apply_msg: '好'.repeat(201) }))).toBe(
        ErrorCode.InvalidParams,
      );
      expect(code(await create(alice, { apply_msg: 'who?' }))).toBe(ErrorCode.InvalidParams);
      await watch.expectNothing();
    });

    it('refuses the application that was made, once, and then lets either side apply again', async () => {
      // Alice has no application from bob to refuse (docs/pitfalls.md §16: not the reverse row).
      expect(
        code(
          await as(alice).put('/api/application/refuse', { account_id: bob.id, refuse_msg: 'no' }),
        ),
      ).toBe(ErrorCode.ApplicationNotFound);
      ok(
        await as(bob).put('/api/application/refuse', {
          account_id: alice.id,
          refuse_msg: '不认识',
        }),
      );
      await expectApplicationPushes(alice, bob, {
        apply_msg: '交个朋友',
        refuse_msg: '不认识',
        status: '已拒绝',
      });
      expect((await applicationsOf(bob)).list[0]).toMatchObject({
        status: '已拒绝',
        refuse_msg: '不认识',
      });
      expect(
        code(
          await as(bob).put('/api/application/refuse', {
            account_id: alice.id,
            refuse_msg: 'again',
          }),
        ),
      ).toBe(ErrorCode.ApplicationRepeated);
      expect(code(await as(bob).put('/api/application/refuse', { account_id: alice.id }))).toBe(
        ErrorCode.InvalidParams,
      );
      await watch.expectNothing();

      // A finished application does not block a new one (docs/pitfalls.md §17).
      ok(
        await as(bob).post('/api/application/create', { account_id: alice.id, apply_msg: 'sorry' }),
      );
      const list = await applicationsOf(alice);
      expect(list.total).toBe(1);
      expect(list.list[0]).toMatchObject({
        account1_id: bob.id,
        account2_id: alice.id,
        status: '已申请',
        refuse_msg: '',
        name: 'bob',
      });
      await expectApplicationPushes(bob, alice, {
        apply_msg: 'sorry',
        refuse_msg: '',
        status: '已申请',
      });
    });

    it('deletes only the caller’s own application', async () => {
      expect(code(await as(alice).delete('/api/application/delete', { account_id: bob.id }))).toBe(
        ErrorCode.ApplicationNotFound,
      );
      ok(await as(bob).delete('/api/application/delete', { account_id: alice.id }));
      expect((await applicationsOf(alice)).total).toBe(0);
      expect(code(await as(bob).delete('/api/application/delete', { account_id: alice.id }))).toBe(
        ErrorCode.ApplicationNotFound,
      );
      await watch.expectNothing();
    });

    it('withdraws an application named in the query string, in its canonical digits only', async () => {
      ok(
        await as(dave).post('/api/application/create', { account_id: carol.id, apply_msg: 'hey' }),
      );
      const withdraw = (accountId: string) =>
        api.delete('/api/application/delete', {
          token: dave.token,
          query: { account_id: accountId },
        });
      const fromDave = async () =>
        (await applicationsOf(carol)).list
          .filter((a) => a.account1_id === dave.id)
          .map((a) => a.status);
      for (const spelling of offSpellings(carol.id)) {
        const r = await withdraw(spelling);
        expect([spelling, r.status_code, r.status_msg]).toEqual([
          spelling,
          ErrorCode.InvalidParams,
          expect.stringMatching(/^parameters not valid: account_id: /),
        ]);
      }
      expect(await fromDave()).toEqual(['已申请']);
      ok(await withdraw(String(carol.id)));
      expect(await fromDave()).toEqual([]);
      expect(code(await withdraw(String(carol.id)))).toBe(ErrorCode.ApplicationNotFound);
    });

    it('accepts: the two become friends, the first message is "成为好友", both sides hear of it', async () => {
      ok(
        await as(alice).post('/api/application/create', {
          account_id: bob.id,
          apply_msg: 'once more',
        }),
      );
      await expectApplicationPushes(alice, bob, {
        apply_msg: 'once more',
        refuse_msg: '',
        status: '已申请',
      });
      expect(code(await as(alice).put('/api/application/accept', { account_id: bob.id }))).toBe(
        ErrorCode.ApplicationNotFound,
      );
      ok(await as(bob).put('/api/application/accept', { account_id: alice.id }));
      const relationId = await relationOf(alice, bob);
      expect(relationId).toBeGreaterThan(0);
      expect(await relationOf(bob, alice)).toBe(relationId);

      // Not a push: the gateways' member lists of the new relation are dropped.
      await onBus(stack, async (events) => {
        await events.find(
          (e) => e.effects?.membershipChanged?.includes(relationId) === true,
          'membership change of the new friendship',
        );
      });

      // Stored by the persister as the conversation's first message (sequence 1).
      if (storedLog) {
        const stored = await storedLog.first(relationId);
        expect(stored.seq).toBe(1);
        expect(stored.message).toMatchObject({
          relation_id: relationId,
          notify_type: 'system',
          msg_type: 'text',
          msg_content: SYSTEM_TEXTS.becameFriends,
          msg_extend: null,
          account_id: null,
          file_id: null,
          rly_msg_id: null,
        });
        expect(stored.message.create_at).toMatch(TIME);
      }
      const [first] = await waitFor(
        async () => {
          const history = await historyOf(bob, relationId);
          return history.length > 0 && history;
        },
        { timeoutMs: 20_000, what: 'the first message of the friendship in history' },
      );
      expect(first).toMatchObject({
        seq: 1,
        notify_type: 'system',
        msg_content: SYSTEM_TEXTS.becameFriends,
      });

      // Both sides' devices: the accepted application, each its own view, and the system
      // message.
      const accepted = async (viewer: Actor) =>
        frame(
          PUSH_EVENTS.application,
          await applicationSeenBy(viewer, alice, bob, {
            apply_msg: 'once more',
            refuse_msg: '',
            status: '已同意',
          }),
        );
      const becameFriends = becameFriendsPush(relationId, first);
      await watch.expect({
        ...toEach(ALICE, await accepted(alice), becameFriends),
        ...toEach(BOB, await accepted(bob), becameFriends),
      });

      expect(code(await as(bob).put('/api/application/accept', { account_id: alice.id }))).toBe(
        ErrorCode.ApplicationRepeated,
      );
      expect(
        code(
          await as(bob).put('/api/application/refuse', { account_id: alice.id, refuse_msg: 'no' }),
        ),
      ).toBe(ErrorCode.ApplicationRepeated);
      expect(
        code(
          await as(alice).post('/api/application/create', { account_id: bob.id, apply_msg: 'hi' }),
        ),
      ).toBe(ErrorCode.RelationExists);
      expect(code(await as(bob).put('/api/application/accept', { account_id: 0 }))).toBe(
        ErrorCode.InvalidParams,
      );
      await watch.expectNothing();
    });
  });

  describe('settings and friends', () => {
    let withBob: number;
    let aliceSelf: number;
    let groupId: number;

    beforeAll(async () => {
      withBob = await relationOf(alice, bob);
      aliceSelf = await relationOf(alice, alice);
      groupId = ok(
        await as(alice).post('/api/group/create', { name: 'climbers', description: 'up' }),
      ).relation_id;
    });

    it('lists friend conversations, the self conversation included, by friend name, in the spec’s shape', async () => {
      const friends = await friendsOf(alice);
      expect(friends.total).toBe(2);
      expect(
        friends.list.map((f) => [f.relation_id, f.friend_info.account_id, f.friend_info.name]),
      ).toEqual([
        [aliceSelf, alice.id, 'alice'],
        [withBob, bob.id, 'bob'],
      ]);
      expect(Object.keys(friends.list[1]!).sort()).toEqual(
        [...SETTING_INFO_KEYS, 'friend_info'].sort(),
      );
      expect(friends.list[1]).toEqual({
        relation_id: withBob,
        relation_type: 'friend',
        nick_name: '',
        is_not_disturb: false,
        is_pin: false,
        pin_time: expect.stringMatching(TIME),
        is_show: true,
        last_show: expect.stringMatching(TIME),
        friend_info: { account_id: bob.id, name: 'bob', avatar: expect.any(String) },
      });
    });

    it('sets a remark, pushes update_nickname to the caller only, and is silent when unchanged', async () => {
      ok(
        await as(alice).put('/api/setting/update/nick_name', {
          relation_id: withBob,
          nick_name: '老鲍',
        }),
      );
      // Alice's devices only: not bob, the other party of the conversation, nor dave, another
      // account of alice's user.
      await watch.expect(
        toEach(
          ALICE,
          frame(PUSH_EVENTS.updateNickname, { relation_id: withBob, nick_name: '老鲍' }),
        ),
      );
      ok(
        await as(alice).put('/api/setting/update/nick_name', {
          relation_id: withBob,
          nick_name: '老鲍',
        }),
      );
      await expectQuiet(alice, aliceSelf);
      // Bob's view of the same conversation keeps its own (empty) remark.
      expect((await friendsOf(bob)).list.find((f) => f.relation_id === withBob)!.nick_name).toBe(
        '',
      );
      expect(
        code(
          await as(alice).put('/api/setting/update/nick_name', {
            relation_id: withBob,
            nick_name: 'x'.repeat(21),
          }),
        ),
      ).toBe(ErrorCode.InvalidParams);
      await watch.expectNothing();
    });

    it('finds friends by account name or by remark, case-insensitive, wildcards taken literally', async () => {
      const byName = ok(await as(alice).get('/api/setting/friend/name', { name: 'BO' }));
      expect(byName.total).toBe(1);
      expect(byName.list[0]).toMatchObject({
        relation_id: withBob,
        nick_name: '老鲍',
        friend_info: { account_id: bob.id, name: 'bob' },
      });
      const byRemark = ok(await as(alice).get('/api/setting/friend/name', { name: '鲍' }));
      // friend_info.name is the account name, never the remark (docs/pitfalls.md §25).
      expect(byRemark.list.map((f: SettingFriend) => f.friend_info.name)).toEqual(['bob']);
      expect(Object.keys(byRemark.list[0]).sort()).toEqual(
        [...SETTING_INFO_KEYS, 'friend_info'].sort(),
      );
      expect(ok(await as(alice).get('/api/setting/friend/name', { name: '%' }))).toEqual({
        list: [],
        total: 0,
      });
      expect(ok(await as(alice).get('/api/setting/friend/name', { name: '_' })).total).toBe(0);
      expect(code(await as(alice).get('/api/setting/friend/name'))).toBe(ErrorCode.InvalidParams);
      expect(ok(await as(carol).get('/api/setting/friend/name', { name: 'bo' })).total).toBe(0);
    });

    it('pins conversations, lists them by pin time with friend or group info, silent when unchanged', async () => {
      ok(await as(alice).put('/api/setting/update/pin', { relation_id: groupId, is_pin: true }));
      ok(await as(alice).put('/api/setting/update/pin', { relation_id: withBob, is_pin: true }));
      // In the order of the calls: one account's setting pushes share a bus key.
      await watch.expect(
        toEach(ALICE, settingState('pin', groupId, true), settingState('pin', withBob, true)),
      );
      const pins = ok(await as(alice).get('/api/setting/pins'));
      expect(pins.total).toBe(2);
      expect(pins.list).toEqual([
        {
          relation_id: groupId,
          relation_type: 'group',
          nick_name: '',
          pin_time: expect.stringMatching(TIME),
          group_info: {
            relation_id: groupId,
            name: 'climbers',
            description: 'up',
            avatar: expect.any(String),
          },
          friend_info: null,
        },
        {
          relation_id: withBob,
          relation_type: 'friend',
          nick_name: '老鲍',
          pin_time: expect.stringMatching(TIME),
          group_info: null,
          friend_info: { account_id: bob.id, name: 'bob', avatar: expect.any(String) },
        },
      ]);
      ok(await as(alice).put('/api/setting/update/pin', { relation_id: withBob, is_pin: true }));
      await expectQuiet(alice, aliceSelf);
      // Re-pinning did not move it: the order is unchanged.
      expect(
        ok(await as(alice).get('/api/setting/pins')).list.map((p: Setting) => p.relation_id),
      ).toEqual([groupId, withBob]);
      ok(await as(alice).put('/api/setting/update/pin', { relation_id: groupId, is_pin: false }));
      await watch.expect(toEach(ALICE, settingState('pin', groupId, false)));
      expect(
        ok(await as(alice).get('/api/setting/pins')).list.map((p: Setting) => p.relation_id),
      ).toEqual([withBob]);
      expect(code(await as(alice).put('/api/setting/update/pin', { relation_id: withBob }))).toBe(
        ErrorCode.InvalidParams,
      );
      await watch.expectNothing();
    });

    it('mutes a conversation and pushes not_disturb, once', async () => {
      ok(
        await as(alice).put('/api/setting/update/disturb', {
          relation_id: withBob,
          is_not_disturb: true,
        }),
      );
      await watch.expect(toEach(ALICE, settingState('not_disturb', withBob, true)));
      ok(
        await as(alice).put('/api/setting/update/disturb', {
          relation_id: withBob,
          is_not_disturb: true,
        }),
      );
      await expectQuiet(alice, aliceSelf);
      expect(
        (await friendsOf(alice)).list.find((f) => f.relation_id === withBob)!.is_not_disturb,
      ).toBe(true);
    });

    it('hides and shows conversations; showing always moves it to the top of /shows', async () => {
      const showsOf = async () =>
        ok(await as(alice).get('/api/setting/shows')) as { list: Setting[]; total: number };

      ok(await as(alice).put('/api/setting/update/show', { relation_id: withBob, is_show: false }));
      await watch.expect(toEach(ALICE, settingState('show', withBob, false)));
      expect((await showsOf()).list.map((s) => s.relation_id)).not.toContain(withBob);
      ok(await as(alice).put('/api/setting/update/show', { relation_id: withBob, is_show: false }));
      await expectQuiet(alice, aliceSelf);

      ok(await as(alice).put('/api/setting/update/show', { relation_id: withBob, is_show: true }));
      await watch.expect(toEach(ALICE, settingState('show', withBob, true)));
      const shows = await showsOf();
      expect(shows.total).toBe(3);
      expect(shows.list[0]).toEqual({
        relation_id: withBob,
        relation_type: 'friend',
        nick_name: '老鲍',
        is_not_disturb: true,
        is_pin: true,
        pin_time: expect.stringMatching(TIME),
        is_show: true,
        last_show: expect.stringMatching(TIME),
        group_info: null,
        friend_info: { account_id: bob.id, name: 'bob', avatar: expect.any(String) },
      });
      expect(shows.list.find((s) => s.relation_id === groupId)).toMatchObject({
        relation_type: 'group',
        friend_info: null,
        group_info: { relation_id: groupId, name: 'climbers', description: 'up' },
      });

      // Showing an already shown conversation refreshes last_show and moves it up.
      ok(await as(alice).put('/api/setting/update/show', { relation_id: groupId, is_show: true }));
      await watch.expect(toEach(ALICE, settingState('show', groupId, true)));
      const after = await showsOf();
      expect(after.list[0]!.relation_id).toBe(groupId);
      expect(Date.parse(after.list[0]!.last_show)).toBeGreaterThanOrEqual(
        Date.parse(shows.list[0]!.last_show),
      );
    });

    it('answers 4002 when the caller has no setting for the relation', async () => {
      const calls: [string, Record<string, unknown>][] = [
        ['/api/setting/update/nick_name', { nick_name: 'x' }],
        ['/api/setting/update/pin', { is_pin: true }],
        ['/api/setting/update/disturb', { is_not_disturb: true }],
        ['/api/setting/update/show', { is_show: true }],
      ];
      for (const [path, body] of calls) {
        expect(code(await as(alice).put(path, { relation_id: 9_000_000_000, ...body }))).toBe(
          ErrorCode.RelationNotFound,
        );
      }
      await watch.expectNothing();
    });

    it('refuses to delete what is not the caller’s friendship, or its self conversation', async () => {
      const del = (who: Actor, relationId: unknown) =>
        as(who).delete('/api/setting/friend/delete', { relation_id: relationId });
      expect(code(await del(alice, aliceSelf))).toBe(ErrorCode.PermissionDenied);
      expect(code(await del(alice, 9_000_000_000))).toBe(ErrorCode.RelationNotFound);
      expect(code(await del(alice, groupId))).toBe(ErrorCode.RelationNotFound);
      expect(code(await del(alice, 'one'))).toBe(ErrorCode.InvalidParams);
      expect(await relationOf(alice, alice)).toBe(aliceSelf);
      await watch.expectNothing();
    });

    it('ends a friendship named in the query string, in its canonical digits only', async () => {
      const friendship = await makeFriends(api, carol, dave);
      const unfriend = (relationId: string) =>
        api.delete('/api/setting/friend/delete', {
          token: dave.token,
          query: { relation_id: relationId },
        });
      for (const spelling of offSpellings(friendship)) {
        const r = await unfriend(spelling);
        expect([spelling, r.status_code, r.status_msg]).toEqual([
          spelling,
          ErrorCode.InvalidParams,
          expect.stringMatching(/^parameters not valid: relation_id: /),
        ]);
      }
      expect(await relationOf(dave, carol)).toBe(friendship);
      ok(await unfriend(String(friendship)));
      expect(await relationOf(dave, carol)).toBe(0);
      expect((await friendsOf(carol)).list.map((f) => f.relation_id)).not.toContain(friendship);
      expect(code(await unfriend(String(friendship)))).toBe(ErrorCode.RelationNotFound);
    });

    it('unfriends: both sides hear delete_relation, history and settings go, and they may befriend again', async () => {
      ok(await as(bob).delete('/api/setting/friend/delete', { relation_id: withBob }));
      // Both sides' devices, the caller's included; not carol, dave or mallory.
      const deleted = frame(PUSH_EVENTS.deleteRelation, { relation_id: withBob });
      await watch.expect(toEach([...ALICE, ...BOB], deleted));
      // Not a push: the gateways' member lists of the relation are dropped.
      await onBus(stack, async (events) => {
        const e = await events.find(
          (e) =>
            e.push?.event === PUSH_EVENTS.deleteRelation &&
            (e.push.data as { relation_id: number }).relation_id === withBob,
          'the unfriending on chat.events',
        );
        expect(e.effects).toEqual({ membershipChanged: [withBob] });
      });

      expect(await relationOf(alice, bob)).toBe(0);
      expect((await friendsOf(alice)).list.map((f) => f.relation_id)).toEqual([aliceSelf]);
      expect((await friendsOf(bob)).list.map((f) => f.relation_id)).not.toContain(withBob);
      expect(ok(await as(alice).get('/api/setting/pins')).total).toBe(0);
      // The conversation and its history are gone for both.
      expect(
        code(
          await as(alice).get('/api/msg/list/time', {
            relation_id: withBob,
            last_time: Math.floor(Date.now() / 1000) + 3600,
          }),
        ),
      ).toBe(ErrorCode.PermissionDenied);
      expect(
        code(
          await as(alice).put('/api/setting/update/pin', { relation_id: withBob, is_pin: true }),
        ),
      ).toBe(ErrorCode.RelationNotFound);
      // The accepted application went with it (docs/pitfalls.md §17).
      expect((await applicationsOf(alice)).total).toBe(0);
      expect(
        code(await as(alice).delete('/api/setting/friend/delete', { relation_id: withBob })),
      ).toBe(ErrorCode.RelationNotFound);

      const again = await makeFriends(api, bob, alice);
      expect(again).toBeGreaterThan(0);
      expect(again).not.toBe(withBob);
      if (storedLog) {
        expect(await storedLog.first(again)).toMatchObject({
          seq: 1,
          message: { msg_content: SYSTEM_TEXTS.becameFriends },
        });
      }
      const [first] = await waitFor(
        async () => {
          const history = await historyOf(alice, again);
          return history.length > 0 && history;
        },
        { timeoutMs: 20_000, what: 'the first message of the new friendship in history' },
      );
      expect(first).toMatchObject({ seq: 1, msg_content: SYSTEM_TEXTS.becameFriends });
      // The new application as made, then accepted, and the new conversation's first message.
      const befriended = async (viewer: Actor) => {
        const accepted = await applicationSeenBy(viewer, bob, alice, {
          apply_msg: 'hi alice',
          refuse_msg: '',
          status: '已同意',
        });
        return [
          frame(PUSH_EVENTS.application, {
            ...accepted,
            status: '已申请',
            update_at: expect.stringMatching(TIME),
          }),
          frame(PUSH_EVENTS.application, accepted),
          becameFriendsPush(again, first),
        ];
      };
      await watch.expect({
        ...toEach(ALICE, ...(await befriended(alice))),
        ...toEach(BOB, ...(await befriended(bob))),
      });
    });
  });

  it('documents every endpoint of both areas with the spec’s shared shapes', async () => {
    const doc = (await (await fetch(new URL('/api/openapi.json', api.baseUrl))).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components?: { schemas?: Record<string, unknown> };
    };
    const paths = Object.keys(doc.paths).filter((p) => /^\/api\/(application|setting)\//.test(p));
    expect(paths).toHaveLength(18); // docs/api.md §8, §9 (presence included) and §9.1 (block list)
    expect(doc.paths['/api/setting/friend/delete']).toHaveProperty('delete');
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['ApplicationInfo', 'SettingFriend', 'Setting', 'SettingPin']),
    );
  });

  describe('authorisation: an account of another user is refused every time', () => {
    let withBob: number;
    let aliceSelf: number;

    beforeAll(async () => {
      withBob = await relationOf(alice, bob);
      aliceSelf = await relationOf(alice, alice);
      // A pending application dave → bob that mallory must not be able to handle or withdraw.
      watch.mark();
      ok(
        await as(dave).post('/api/application/create', { account_id: bob.id, apply_msg: 'hello' }),
      );
      // Dave's device, not those of alice, another account of the same user.
      await expectApplicationPushes(dave, bob, {
        apply_msg: 'hello',
        refuse_msg: '',
        status: '已申请',
      });
    });

    it('cannot accept, refuse or withdraw applications between other accounts', async () => {
      expect(code(await as(mallory).put('/api/application/accept', { account_id: dave.id }))).toBe(
        ErrorCode.ApplicationNotFound,
      );
      expect(
        code(
          await as(mallory).put('/api/application/refuse', {
            account_id: dave.id,
            refuse_msg: 'no',
          }),
        ),
      ).toBe(ErrorCode.ApplicationNotFound);
      expect(
        code(await as(mallory).delete('/api/application/delete', { account_id: bob.id })),
      ).toBe(ErrorCode.ApplicationNotFound);
      expect(await applicationsOf(mallory)).toEqual({ list: [], total: 0 });
      // Untouched: still pending for bob.
      expect((await applicationsOf(bob)).list.find((a) => a.account1_id === dave.id)).toMatchObject(
        {
          status: '已申请',
        },
      );
      await watch.expectNothing();
    });

    it('cannot change, list or delete the settings of other accounts’ conversations', async () => {
      for (const relationId of [withBob, aliceSelf]) {
        const attempts: [string, Record<string, unknown>][] = [
          ['/api/setting/update/nick_name', { nick_name: 'pwned' }],
          ['/api/setting/update/pin', { is_pin: true }],
          ['/api/setting/update/disturb', { is_not_disturb: false }],
          ['/api/setting/update/show', { is_show: false }],
        ];
        for (const [path, body] of attempts) {
          expect(code(await as(mallory).put(path, { relation_id: relationId, ...body }))).toBe(
            ErrorCode.RelationNotFound,
          );
        }
        expect(
          code(await as(mallory).delete('/api/setting/friend/delete', { relation_id: relationId })),
        ).toBe(ErrorCode.PermissionDenied);
      }
      const own = ok(await as(mallory).get('/api/setting/friend/list')) as {
        list: SettingFriend[];
      };
      expect(own.list.map((f) => f.friend_info.account_id)).toEqual([mallory.id]);
      expect(ok(await as(mallory).get('/api/setting/pins')).total).toBe(0);
      expect(
        (ok(await as(mallory).get('/api/setting/shows')).list as Setting[]).map(
          (s) => s.relation_id,
        ),
      ).toEqual([await relationOf(mallory, mallory)]);
      expect(ok(await as(mallory).get('/api/setting/friend/name', { name: 'bob' })).total).toBe(0);
      // The friendship is intact, and no one heard of any of it.
      expect(await relationOf(alice, bob)).toBe(withBob);
      await watch.expectNothing();
    });

    it('needs an account token on every endpoint of both areas', async () => {
      const endpoints: [string, string][] = [
        ['POST', '/api/application/create'],
        ['DELETE', '/api/application/delete'],
        ['PUT', '/api/application/accept'],
        ['PUT', '/api/application/refuse'],
        ['GET', '/api/application/list'],
        ['GET', '/api/setting/pins'],
        ['GET', '/api/setting/shows'],
        ['PUT', '/api/setting/update/nick_name'],
        ['PUT', '/api/setting/update/pin'],
        ['PUT', '/api/setting/update/disturb'],
        ['PUT', '/api/setting/update/show'],
        ['GET', '/api/setting/friend/list'],
        ['DELETE', '/api/setting/friend/delete'],
        ['GET', '/api/setting/friend/name'],
      ];
      for (const [method, path] of endpoints) {
        expect(code(await api.call(method, path))).toBe(ErrorCode.AuthMissing);
        expect(code(await api.call(method, path, { token: aliceUserToken }))).toBe(
          ErrorCode.AuthFailed,
        );
      }
      await watch.expectNothing();
    });
  });
});
