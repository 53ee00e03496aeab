import { Kafka, logLevel, type Consumer } from 'kafkajs';
import {
  ErrorCode,
  PUSH_EVENTS,
  SYSTEM_TEXTS,
  TOPICS,
  type ChatEvent,
  type StoredRecord,
} from '@chat/protocol';
import { waitFor, type SuiteContext } from '@chat/testing';
import { createAccount, makeFriends, registerUser, type Actor } from './support/actors';
import { ok, type ApiClient, type Reply } from './support/http';
import { offSpellings } from './support/ids';
import type { EventLog } from './support/events';
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

/** Push payloads, read loosely: each test compares the fields it is about. */
type PushData = Record<string, unknown>;

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
 * persister and notifier running as their own processes on real Postgres, Redis and Kafka,
 * pushes read from chat.events; or against the standalone server (E2E_TARGET), where the
 * REST behaviour and history are checked and the bus is not readable.
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

  beforeAll(async () => {
    stack = await startTargetStack('e2e_social', {});
    // The persister stores the "成为好友" system message and reports it on chat.stored.
    await stack.startWorker('persister');
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
  }, 180_000);

  afterAll(async () => {
    await storedLog?.stop();
    await stack?.stop();
  });

  const as = (who: Actor) => ({
    get: (path: string, query: Record<string, string | number> = {}) =>
      api.get(path, { token: who.token, query }),
    post: (path: string, body: unknown) => api.post(path, { token: who.token, body }),
    put: (path: string, body: unknown) => api.put(path, { token: who.token, body }),
    delete: (path: string, body: unknown) => api.delete(path, { token: who.token, body }),
  });
  const code = (r: Reply) => r.status_code;

  const pushesTo = (
    events: EventLog,
    event: string,
    to: number,
    match: (data: PushData) => boolean = () => true,
  ) =>
    events.events.filter(
      (e) => e.push?.event === event && e.push.to.includes(to) && match(e.push.data as PushData),
    );
  const waitPush = (
    events: EventLog,
    event: string,
    to: number,
    match: (data: PushData) => boolean,
    what: string,
  ): Promise<ChatEvent> =>
    events.find(
      (e) => e.push?.event === event && e.push.to.includes(to) && match(e.push.data as PushData),
      `${event} to ${to}: ${what}`,
    );
  /**
   * Proves that a call published nothing: a later call of the same account publishes a
   * push under the same bus key, and pushes of one key arrive in order, so once the later
   * one is seen the earlier one would have been too.
   */
  let markers = 0;
  async function settle(who: Actor, relationId: number): Promise<void> {
    // Digits only, so that no friend search of this suite matches the remark.
    const marker = `${++markers}-${Date.now()}`;
    ok(
      await as(who).put('/api/setting/update/nick_name', {
        relation_id: relationId,
        nick_name: marker,
      }),
    );
    await onBus(stack, async (events) => {
      await waitPush(
        events,
        PUSH_EVENTS.updateNickname,
        who.id,
        (d) => d.nick_name === marker,
        'marker',
      );
    });
  }

  /** A conversation's history from the start, as a client syncs it (persisted messages). */
  const historyOf = async (who: Actor, relationId: number) =>
    ok(
      await as(who).post('/api/msg/sync', {
        relations: [{ relation_id: relationId, after_seq: 0 }],
        limit: 50,
      }),
    ).list[0].messages as { seq: number; notify_type: string; msg_content: string }[];

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
      await onBus(stack, async (events) => {
        const toBob = await waitPush(
          events,
          PUSH_EVENTS.application,
          bob.id,
          (d) => d.account1_id === alice.id,
          'created',
        );
        const toAlice = await waitPush(
          events,
          PUSH_EVENTS.application,
          alice.id,
          (d) => d.account2_id === bob.id,
          'created',
        );
        expect(toBob.push!.to).toEqual([bob.id]);
        expect(toBob.push!.data).toEqual({
          account1_id: alice.id,
          account2_id: bob.id,
          apply_msg: '交个朋友',
          refuse_msg: '',
          status: '已申请',
          create_at: expect.stringMatching(TIME),
          update_at: expect.stringMatching(TIME),
          name: 'alice',
          avatar: expect.any(String),
        });
        expect(toAlice.push!.to).toEqual([alice.id]);
        expect(toAlice.push!.data).toMatchObject({ name: 'bob', status: '已申请' });
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
      const paged = ok(await as(bob).get('/api/application/list', { page: 1, page_size: 1 }));
      expect(paged.total).toBe(2);
      expect(paged.list.map((a: ApplicationInfo) => a.account1_id)).toEqual([carol.id]);
      ok(await as(carol).delete('/api/application/delete', { account_id: bob.id }));
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
      await onBus(stack, async (events) => {
        const toAlice = await waitPush(
          events,
          PUSH_EVENTS.application,
          alice.id,
          (d) => d.status === '已拒绝',
          'refused',
        );
        expect(toAlice.push!.data).toMatchObject({
          account1_id: alice.id,
          account2_id: bob.id,
          refuse_msg: '不认识',
          name: 'bob',
        });
        await waitPush(
          events,
          PUSH_EVENTS.application,
          bob.id,
          (d) => d.status === '已拒绝',
          'refused',
        );
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
      expect(code(await as(alice).put('/api/application/accept', { account_id: bob.id }))).toBe(
        ErrorCode.ApplicationNotFound,
      );
      ok(await as(bob).put('/api/application/accept', { account_id: alice.id }));
      const relationId = await relationOf(alice, bob);
      expect(relationId).toBeGreaterThan(0);
      expect(await relationOf(bob, alice)).toBe(relationId);

      await onBus(stack, async (events) => {
        for (const [who, other] of [
          [alice, 'bob'],
          [bob, 'alice'],
        ] as const) {
          const e = await waitPush(
            events,
            PUSH_EVENTS.application,
            who.id,
            (d) => d.status === '已同意',
            'accepted',
          );
          expect(e.push!.to).toEqual([who.id]);
          expect(e.push!.data).toMatchObject({
            account1_id: alice.id,
            account2_id: bob.id,
            name: other,
          });
        }
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
      await onBus(stack, async (events) => {
        const e = await waitPush(
          events,
          PUSH_EVENTS.updateNickname,
          alice.id,
          (d) => d.nick_name === '老鲍',
          'remark',
        );
        expect(e.push).toEqual({
          event: PUSH_EVENTS.updateNickname,
          data: { relation_id: withBob, nick_name: '老鲍' },
          to: [alice.id],
        });
      });
      ok(
        await as(alice).put('/api/setting/update/nick_name', {
          relation_id: withBob,
          nick_name: '老鲍',
        }),
      );
      await settle(alice, aliceSelf);
      await onBus(stack, (events) => {
        expect(
          pushesTo(events, PUSH_EVENTS.updateNickname, alice.id, (d) => d.nick_name === '老鲍'),
        ).toHaveLength(1);
      });
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
      await onBus(stack, async (events) => {
        const e = await waitPush(
          events,
          PUSH_EVENTS.updateSettingState,
          alice.id,
          (d) => d.type === 'pin' && d.relation_id === withBob,
          'pin',
        );
        expect(e.push!.data).toEqual({ type: 'pin', relation_id: withBob, state: true });
        expect(e.push!.to).toEqual([alice.id]);
      });
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
      await settle(alice, aliceSelf);
      await onBus(stack, (events) => {
        expect(
          pushesTo(
            events,
            PUSH_EVENTS.updateSettingState,
            alice.id,
            (d) => d.type === 'pin' && d.relation_id === withBob,
          ),
        ).toHaveLength(1);
      });
      // Re-pinning did not move it: the order is unchanged.
      expect(
        ok(await as(alice).get('/api/setting/pins')).list.map((p: Setting) => p.relation_id),
      ).toEqual([groupId, withBob]);
      ok(await as(alice).put('/api/setting/update/pin', { relation_id: groupId, is_pin: false }));
      expect(
        ok(await as(alice).get('/api/setting/pins')).list.map((p: Setting) => p.relation_id),
      ).toEqual([withBob]);
      expect(code(await as(alice).put('/api/setting/update/pin', { relation_id: withBob }))).toBe(
        ErrorCode.InvalidParams,
      );
    });

    it('mutes a conversation and pushes not_disturb, once', async () => {
      ok(
        await as(alice).put('/api/setting/update/disturb', {
          relation_id: withBob,
          is_not_disturb: true,
        }),
      );
      await onBus(stack, async (events) => {
        const e = await waitPush(
          events,
          PUSH_EVENTS.updateSettingState,
          alice.id,
          (d) => d.type === 'not_disturb' && d.relation_id === withBob,
          'mute',
        );
        expect(e.push!.data).toEqual({ type: 'not_disturb', relation_id: withBob, state: true });
      });
      ok(
        await as(alice).put('/api/setting/update/disturb', {
          relation_id: withBob,
          is_not_disturb: true,
        }),
      );
      await settle(alice, aliceSelf);
      await onBus(stack, (events) => {
        expect(
          pushesTo(
            events,
            PUSH_EVENTS.updateSettingState,
            alice.id,
            (d) => d.type === 'not_disturb',
          ),
        ).toHaveLength(1);
      });
      expect(
        (await friendsOf(alice)).list.find((f) => f.relation_id === withBob)!.is_not_disturb,
      ).toBe(true);
    });

    it('hides and shows conversations; showing always moves it to the top of /shows', async () => {
      const showsOf = async () =>
        ok(await as(alice).get('/api/setting/shows')) as { list: Setting[]; total: number };
      const isShowPush = (state: boolean) => (d: PushData) =>
        d.type === 'show' && d.relation_id === withBob && d.state === state;

      ok(await as(alice).put('/api/setting/update/show', { relation_id: withBob, is_show: false }));
      await onBus(stack, async (events) => {
        await waitPush(events, PUSH_EVENTS.updateSettingState, alice.id, isShowPush(false), 'hide');
      });
      expect((await showsOf()).list.map((s) => s.relation_id)).not.toContain(withBob);
      ok(await as(alice).put('/api/setting/update/show', { relation_id: withBob, is_show: false }));
      await settle(alice, aliceSelf);
      await onBus(stack, (events) => {
        expect(
          pushesTo(events, PUSH_EVENTS.updateSettingState, alice.id, isShowPush(false)),
        ).toHaveLength(1);
      });

      ok(await as(alice).put('/api/setting/update/show', { relation_id: withBob, is_show: true }));
      await onBus(stack, async (events) => {
        await waitPush(events, PUSH_EVENTS.updateSettingState, alice.id, isShowPush(true), 'show');
      });
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
    });

    it('refuses to delete what is not the caller’s friendship, or its self conversation', async () => {
      const del = (who: Actor, relationId: unknown) =>
        as(who).delete('/api/setting/friend/delete', { relation_id: relationId });
      expect(code(await del(alice, aliceSelf))).toBe(ErrorCode.PermissionDenied);
      expect(code(await del(alice, 9_000_000_000))).toBe(ErrorCode.RelationNotFound);
      expect(code(await del(alice, groupId))).toBe(ErrorCode.RelationNotFound);
      expect(code(await del(alice, 'one'))).toBe(ErrorCode.InvalidParams);
      expect(await relationOf(alice, alice)).toBe(aliceSelf);
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
      await onBus(stack, async (events) => {
        const e = await waitPush(
          events,
          PUSH_EVENTS.deleteRelation,
          alice.id,
          (d) => d.relation_id === withBob,
          'unfriend',
        );
        expect(e.push).toEqual({
          event: PUSH_EVENTS.deleteRelation,
          data: { relation_id: withBob },
          to: [alice.id, bob.id].sort((x, y) => x - y),
        });
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
    });
  });

  it('documents every endpoint of both areas with the spec’s shared shapes', async () => {
    const doc = (await (await fetch(new URL('/api/openapi.json', api.baseUrl))).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components?: { schemas?: Record<string, unknown> };
    };
    const paths = Object.keys(doc.paths).filter((p) => /^\/api\/(application|setting)\//.test(p));
    expect(paths).toHaveLength(14);
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
      ok(
        await as(dave).post('/api/application/create', { account_id: bob.id, apply_msg: 'hello' }),
      );
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
      // The friendship is intact.
      expect(await relationOf(alice, bob)).toBe(withBob);
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
    });
  });
});
