import { PUSH_DATA, SYSTEM_TEXTS, type PushEventName } from '@chat/protocol';
import { prepareStandalone, waitFor, type RunningApp, type StandaloneServer } from '@chat/testing';
import WebSocket from 'ws';
import { ChatApi } from './api';
import { ChatClient, type ChatClientOptions, type MessageChange } from './client';
import { routeList } from './endpoints';
import type { WebSocketConstructor, WebSocketLike } from './socket';
import type { MsgInfoWithRly } from './types';
import { TypingIndicators } from './typing';

/** Every push any client of this test received, to check against the protocol's schemas. */
const pushes: { event: PushEventName; data: unknown }[] = [];

/**
 * `ws`'s WebSocket behind a switch: while `network.down` is set, new connections fail (as with
 * no network) and `cut()` ends the open ones without a close frame.
 */
class Network {
  down = false;
  private readonly open = new Set<WebSocket>();
  connections = 0;

  cut(): void {
    for (const socket of this.open) socket.terminate();
  }

  WebSocket(): WebSocketConstructor {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const network = this;
    return class NetworkWebSocket implements WebSocketLike {
      private readonly real: WebSocket;
      onopen: ((event: unknown) => void) | null = null;
      onmessage: ((event: { data: unknown }) => void) | null = null;
      onclose: ((event: { code: number; reason: string }) => void) | null = null;
      onerror: ((event: unknown) => void) | null = null;

      constructor(url: string) {
        // Port 1 refuses: the connection fails the way an unreachable server's does.
        this.real = new WebSocket(network.down ? 'ws://127.0.0.1:1/ws' : url);
        network.connections++;
        network.open.add(this.real);
        this.real.onopen = (event) => this.onopen?.(event);
        this.real.onerror = (event) => this.onerror?.(event);
        this.real.onclose = (event) => {
          network.open.delete(this.real);
          this.onclose?.({ code: event.code, reason: event.reason });
        };
        this.real.onmessage = (event) => this.onmessage?.({ data: event.data });
      }

      get readyState(): number {
        return this.real.readyState;
      }

      send(data: string): void {
        this.real.send(data);
      }

      close(code?: number, reason?: string): void {
        this.real.close(code, reason);
      }
    };
  }
}

/**
 * ChatApi's typed routes and ChatClient against the real one-process server (`npm start`):
 * registration, friends, a group with a notice, a file message, then sessions that reconnect,
 * switch accounts and read.
 */
describe('the typed SDK and ChatClient against the standalone server', () => {
  let server: StandaloneServer;
  let app: RunningApp | undefined;
  let api: ChatApi;
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    server = await prepareStandalone('client-session-');
    app = await server.launch();
    api = new ChatApi({ baseUrl: server.baseUrl });
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    const code = await app?.stop('SIGINT');
    await server?.remove();
    expect(code).toBe(0);
  }, 60_000);

  /** A user through the typed routes: code, registration, one account per name. */
  async function registerUser(email: string, names: string[]) {
    expect(await api.email.exists({ email })).toEqual({ exist: false });
    await api.email.sendCode({ email });
    const code = await server.codeFromMailbox(email);
    const user = await api.user.register({ email, password: 'secret-1', code });
    expect(user.user_info.email).toBe(email);
    const accounts = [];
    for (const name of names) {
      const created = await api.account.create(user.user_token.token, {
        name,
        gender: '未知',
        signature: `${name} here`,
      });
      accounts.push({ id: created.id, name, token: created.account_token.token });
    }
    return { email, userToken: user.user_token.token, accounts };
  }

  function newClient(network: Network, more: Partial<ChatClientOptions> = {}): ChatClient {
    const client = new ChatClient({
      baseUrl: server.baseUrl,
      WebSocket: network.WebSocket(),
      backoff: { initialDelayMs: 50, maxDelayMs: 200 },
      ...more,
    });
    for (const event of Object.keys(PUSH_DATA) as PushEventName[]) {
      client.on(event, (data) => pushes.push({ event, data }));
    }
    clients.push(client);
    return client;
  }

  /** Makes two accounts friends; returns their conversation. */
  async function befriend(a: { id: number; token: string }, b: { id: number; token: string }) {
    await api.application.create(a.token, { account_id: b.id, apply_msg: 'hello' });
    const pending = await api.application.list(b.token, {});
    expect(pending.list[0]).toMatchObject({ account1_id: a.id, status: '已申请' });
    await api.application.accept(b.token, { account_id: a.id });
    const friends = await api.setting.friendList(a.token);
    return friends.list.find((f) => f.friend_info.account_id === b.id)!.relation_id;
  }

  it('has a method for every route of the server, and no other', async () => {
    const res = await fetch(`${server.baseUrl}/api/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${p}`),
    );
    const sdk = routeList().map((r) => `${r.method} ${r.path}`);
    expect(served.length).toBeGreaterThan(50);
    expect([...sdk].sort()).toEqual([...served].sort());
    expect(await api.misc.ping()).toBe('pang');
  });

  it('makes typed calls of every area', async () => {
    const erin = await registerUser('erin@sdk.test', ['erin']);
    const fred = await registerUser('fred@sdk.test', ['fred']);
    const [e] = erin.accounts;
    const [f] = fred.accounts;
    const network = new Network();
    const erinClient = newClient(network);
    erinClient.setUserToken({ token: erin.userToken, expired_at: '2999-01-01T00:00:00.000Z' });
    await erinClient.switchAccount(e.id);

    const relation = await befriend(f, e);
    const info = await api.account.info(f.token, { account_id: e.id });
    expect(info).toMatchObject({ id: e.id, name: 'erin', relation_id: relation });
    expect((await api.account.searchByName(f.token, { name: 'erin' })).list[0]).toMatchObject({
      account_id: e.id,
      relation_id: relation,
    });
    await api.account.update(e.token, { name: 'erin', gender: '女', signature: 'updated' });
    await api.setting.updateNickName(e.token, { relation_id: relation, nick_name: 'freddy' });
    await api.setting.updatePin(e.token, { relation_id: relation, is_pin: true });
    expect((await api.setting.pins(e.token)).list.map((p) => p.relation_id)).toContain(relation);

    const group = await api.group.create(f.token, { name: 'club', description: 'a club' });
    await api.group.invite(f.token, { relation_id: group.relation_id, account_id: [e.id] });
    const members = await api.group.members(e.token, { relation_id: group.relation_id });
    expect(members.map((m) => [m.account_id, m.is_leader]).sort()).toEqual(
      [
        [e.id, false],
        [f.id, true],
      ].sort(),
    );
    const notice = await api.notify.create(f.token, {
      relation_id: group.relation_id,
      msg_content: 'meet at 5',
    });
    await api.notify.update(f.token, {
      id: notice.id,
      relation_id: group.relation_id,
      msg_content: 'meet at 6',
    });
    expect((await api.notify.list(e.token, { relation_id: group.relation_id })).list).toEqual([
      expect.objectContaining({ id: notice.id, msg_content: 'meet at 6' }),
    ]);

    const sent = await api.msg.sendFile(f.token, {
      relation_id: relation,
      file: new Blob(['a small text file']),
      fileName: 'notes.txt',
    });
    expect(sent.file_id).toBeGreaterThan(0);
    expect(await api.file.details(e.token, { file_id: sent.file_id })).toMatchObject({
      file_name: 'notes.txt',
      file_type: 'file',
      file_size: 17,
    });
    expect((await api.file.list(e.token, { relation_id: relation })).total).toBe(1);

    // Pushed to erin's session, in order, with the file message last.
    await waitFor(
      () =>
        erinClient.conversation(relation)?.last_seq === 2 &&
        pushes.some((p) => p.event === 'create_notify'),
      { what: 'the friendship, the file message and the notice at erin' },
    );
    const synced = await api.msg.sync(e.token, {
      relations: [{ relation_id: relation, after_seq: 0 }],
    });
    expect(synced.list[0].messages.map((m) => [m.seq, m.msg_type])).toEqual([
      [1, 'text'],
      [2, 'file'],
    ]);
    await api.msg.updateTop(f.token, { id: sent.id, relation_id: relation, is_top: true });
    expect((await api.msg.top(e.token, { relation_id: relation }))?.msg_info.id).toBe(sent.id);
    await api.msg.updatePin(f.token, { id: sent.id, relation_id: relation, is_pin: true });
    expect((await api.msg.pinned(e.token, { relation_id: relation })).list[0].id).toBe(sent.id);
    // Reactions, an edit and the mention list (docs/features.md).
    await api.msg.react(f.token, { id: synced.list[0].messages[0].id, emoji: '👍', state: true });
    const typo = await erinClient.send({ relation_id: relation, msg_content: 'typo' });
    // Retried until the message is stored (an ack may come a moment before the row).
    await waitFor(
      () =>
        api.msg.edit(e.token, { id: typo.msg_id, msg_content: 'fixed' }).then(
          () => true,
          () => false,
        ),
      { what: 'the edit of a stored message' },
    );
    await waitFor(
      () => ['edit_msg', 'msg_reaction'].every((ev) => pushes.some((p) => p.event === ev)),
      { what: 'the edit_msg and msg_reaction pushes' },
    );
    expect((await api.msg.mentions(e.token, {})).total).toBe(0);
    await api.msg.revoke(f.token, { id: sent.id });
    const other = await api.group.create(f.token, { name: 'other', description: 'another' });
    await api.group.invite(f.token, { relation_id: other.relation_id, account_id: [e.id] });
    await waitFor(() => erinClient.conversation(other.relation_id) !== undefined, {
      what: 'the second group at erin',
    });
    await api.group.quit(e.token, { relation_id: other.relation_id });
    await waitFor(() => erinClient.conversation(other.relation_id) === undefined, {
      what: 'erin leaving the second group',
    });
    // The leader mutes erin for a minute and lifts it (group_member_muted, twice).
    const muted = await api.group.mute(f.token, {
      relation_id: group.relation_id,
      account_id: e.id,
      duration_seconds: 60,
    });
    expect(Date.parse(muted.muted_until)).toBeGreaterThan(Date.now());
    const erinMuted = await api.group.members(e.token, { relation_id: group.relation_id });
    expect(erinMuted.find((m) => m.account_id === e.id)?.muted_until).toBe(muted.muted_until);
    await api.group.unmute(f.token, { relation_id: group.relation_id, account_id: e.id });
    await waitFor(() => pushes.filter((p) => p.event === 'group_member_muted').length >= 2, {
      what: 'the group_member_muted pushes',
    });
    // Erin leads the first group now, and dissolves it.
    await api.group.transfer(f.token, { relation_id: group.relation_id, to_account_id: e.id });
    await api.group.dissolve(e.token, { relation_id: group.relation_id });
    await waitFor(() => pushes.some((p) => p.event === 'group_dissolved'), {
      what: 'the group_dissolved push',
    });
    expect(erinClient.conversation(group.relation_id)).toBeUndefined();

    await api.setting.friendDelete(e.token, { relation_id: relation });
    await waitFor(() => erinClient.conversation(relation) === undefined, {
      what: 'the delete_relation push at erin',
    });

    // A new email ends every session of erin's: her socket hears update_email and is closed,
    // the renewal of her account token is refused too, and the client stops, saying why.
    const errors: unknown[] = [];
    erinClient.onError((err) => errors.push(err));
    await api.email.sendCode({ email: 'erin2@sdk.test' });
    const code = await server.codeFromMailbox('erin2@sdk.test');
    await api.user.updateEmail(erin.userToken, { email: 'erin2@sdk.test', code });
    await waitFor(() => erinClient.accountId === null, { what: 'erin’s session to stop' });
    expect(pushes.some((p) => p.event === 'update_email')).toBe(true);
    expect(errors).toContainEqual(expect.objectContaining({ code: 2013, reason: 'reply' }));
  }, 60_000);

  it('delivers messages sent during a disconnection exactly once and in order, by sync', async () => {
    const gina = await registerUser('gina@sdk.test', ['gina']);
    const hank = await registerUser('hank@sdk.test', ['hank']);
    const [g] = gina.accounts;
    const [h] = hank.accounts;
    const relation = await befriend(g, h);

    const ginaNet = new Network();
    const hankNet = new Network();
    const ginaClient = newClient(ginaNet, { historyStart: 'all' });
    const hankClient = newClient(hankNet);
    ginaClient.setUserToken({ token: gina.userToken, expired_at: '2999-01-01T00:00:00.000Z' });
    hankClient.setUserToken({ token: hank.userToken, expired_at: '2999-01-01T00:00:00.000Z' });
    const ginaGot: MsgInfoWithRly[] = [];
    ginaClient.onMessage((m) => {
      if (m.relation_id === relation) ginaGot.push(m);
    });
    const states: string[] = [];
    ginaClient.onState((s) => states.push(s));
    await ginaClient.switchAccount(g.id);
    await hankClient.switchAccount(h.id);
    // `all`: the conversation's history came by sync at the start.
    expect(ginaGot.map((m) => m.msg_content)).toEqual([SYSTEM_TEXTS.becameFriends]);

    await hankClient.send({ relation_id: relation, msg_content: 'one' });
    await waitFor(() => ginaGot.length === 2, { what: 'one, pushed' });

    // Gina's network goes: her socket is cut and cannot come back while hank sends.
    ginaNet.down = true;
    ginaNet.cut();
    await waitFor(() => states.includes('reconnecting'), { what: 'gina reconnecting' });
    for (const text of ['two', 'three', 'four', 'five']) {
      await hankClient.send({ relation_id: relation, msg_content: text });
    }
    // Gina also sends while offline: ChatSocket holds it until a connection is authenticated.
    const offlineSend = ginaClient.send({ relation_id: relation, msg_content: 'from gina' });
    await new Promise((r) => setTimeout(r, 300));
    expect(ginaGot).toHaveLength(2);

    ginaNet.down = false;
    // While gina syncs, hank goes on sending: pushes and sync meet, merged by seq.
    const more = (async () => {
      for (const text of ['six', 'seven', 'eight']) {
        await hankClient.send({ relation_id: relation, msg_content: text });
      }
    })();
    const ack = await offlineSend;
    await more;
    await waitFor(() => ginaGot.length === 10, {
      what: 'every message at gina',
      timeoutMs: 15_000,
    });
    await new Promise((r) => setTimeout(r, 300));

    const seqs = ginaGot.map((m) => m.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(ginaGot.map((m) => m.id)).size).toBe(10);
    const texts = ginaGot.map((m) => m.msg_content);
    expect(texts.filter((t) => t !== 'from gina')).toEqual([
      SYSTEM_TEXTS.becameFriends,
      'one',
      'two',
      'three',
      'four',
      'five',
      'six',
      'seven',
      'eight',
    ]);
    expect(ginaGot.find((m) => m.msg_content === 'from gina')?.id).toBe(ack.msg_id);
    // Her own message was stored once, and the stored order is the delivered order.
    const history = await api.msg.sync(g.token, {
      relations: [{ relation_id: relation, after_seq: 0 }],
    });
    expect(history.list[0].messages.map((m) => m.id)).toEqual(ginaGot.map((m) => m.id));
    // Unread: everything not from gina, the system message included.
    expect(ginaClient.conversation(relation)).toMatchObject({ last_seq: 10, unread: 9 });

    // Read cursors: gina reads; hank, the sender, is told, and gina's unread count drops.
    const readByHank: number[] = [];
    hankClient.onRead((c) => {
      if (c.relation_id === relation) readByHank.push(c.read_by.get(g.id) ?? 0);
    });
    const newest = Math.max(...ginaGot.map((m) => m.id));
    expect(await ginaClient.markRead(relation)).toBe(newest);
    expect(ginaClient.unreadCount(relation)).toBe(0);
    expect(ginaClient.conversation(relation)?.last_read_msg_id).toBe(newest);
    await waitFor(() => readByHank.includes(newest), { what: 'the read_msg push at hank' });
  }, 60_000);

  // Waits for the server side of `after_change` / `changed` / `last_change` (docs/api.md §11).
  it('hears edits, reactions, revokes and pins made while away, by sync, once each', async () => {
    const liam = await registerUser('liam@sdk.test', ['liam']);
    const mia = await registerUser('mia@sdk.test', ['mia']);
    const [l] = liam.accounts;
    const [m] = mia.accounts;
    const relation = await befriend(l, m);

    const liamNet = new Network();
    const liamClient = newClient(liamNet);
    const miaClient = newClient(new Network());
    liamClient.setUserToken({ token: liam.userToken, expired_at: '2999-01-01T00:00:00.000Z' });
    miaClient.setUserToken({ token: mia.userToken, expired_at: '2999-01-01T00:00:00.000Z' });
    const liamGot: MsgInfoWithRly[] = [];
    liamClient.onMessage((msg) => {
      if (msg.relation_id === relation) liamGot.push(msg);
    });
    const changes: MessageChange[] = [];
    liamClient.onMessageChanged((change) => {
      if (change.relation_id === relation) changes.push(change);
    });
    const states: string[] = [];
    liamClient.onState((s) => states.push(s));
    await liamClient.switchAccount(l.id);
    await miaClient.switchAccount(m.id);
    const typo = await miaClient.send({ relation_id: relation, msg_content: 'typo' });
    const cheer = await miaClient.send({ relation_id: relation, msg_content: 'cheer me' });
    const oops = await miaClient.send({ relation_id: relation, msg_content: 'oops' });
    await waitFor(() => liamGot.length === 3, { what: 'three messages at liam' });

    // Live: the push.
    await api.msg.edit(m.token, { id: typo.msg_id, msg_content: 'fixed' });
    await waitFor(() => changes.length === 1, { what: 'the edit_msg push' });
    expect(changes[0]).toMatchObject({
      source: 'edit_msg',
      msg_id: typo.msg_id,
      push: { msg_content: 'fixed' },
    });

    // Away: nothing is pushed to liam; the changes wait for him.
    liamNet.down = true;
    liamNet.cut();
    await waitFor(() => states.includes('reconnecting'), { what: 'liam reconnecting' });
    await api.msg.edit(m.token, { id: typo.msg_id, msg_content: 'fixed again' });
    await api.msg.react(m.token, { id: cheer.msg_id, emoji: '🎉', state: true });
    await api.msg.revoke(m.token, { id: oops.msg_id });
    await api.msg.updatePin(m.token, { id: cheer.msg_id, relation_id: relation, is_pin: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(changes).toHaveLength(1);

    liamNet.down = false;
    await waitFor(() => changes.length >= 4, {
      what: 'the changes made while away, by sync',
      timeoutMs: 15_000,
    });
    await liamClient.settle();
    await new Promise((r) => setTimeout(r, 300));
    const synced = changes.slice(1);
    expect(synced.every((c) => c.source === 'sync')).toBe(true);
    const messages = synced.map((c) => (c.source === 'sync' ? c.message : null)!);
    // Each message once, as it is now, in the order of its last change.
    expect(messages.map((msg) => msg.id)).toEqual([typo.msg_id, oops.msg_id, cheer.msg_id]);
    expect(messages[0]).toMatchObject({ msg_content: 'fixed again', edit_at: expect.any(String) });
    expect(messages[1]).toMatchObject({ is_revoke: true });
    expect(messages[2]).toMatchObject({
      is_pin: true,
      reactions: [{ emoji: '🎉', count: 1, me: false }],
    });
    const cursor = liamClient.cursors().find((c) => c.relation_id === relation);
    expect(cursor?.last_change).toBeGreaterThan(0);

    // The next reconnection asks from that counter: nothing is heard again.
    changes.length = 0;
    const opened = states.filter((s) => s === 'open').length;
    liamNet.cut();
    await waitFor(() => states.filter((s) => s === 'open').length > opened, {
      what: 'liam back',
    });
    await liamClient.settle();
    await new Promise((r) => setTimeout(r, 300));
    expect(changes).toEqual([]);
    expect(liamClient.cursors().find((c) => c.relation_id === relation)?.last_change).toBe(
      cursor?.last_change,
    );
  }, 60_000);

  it('switches accounts, renews tokens, and resumes where each account was', async () => {
    const ivy = await registerUser('ivy@sdk.test', ['ivy', 'ivy-work']);
    const jack = await registerUser('jack@sdk.test', ['jack']);
    const [home, work] = ivy.accounts;
    const [j] = jack.accounts;
    const toHome = await befriend(j, home);
    const toWork = await befriend(j, work);

    // A margin longer than a token's life: every use of a token fetches a new one.
    let tokenFetches = 0;
    const countingFetch: typeof fetch = (input, init) => {
      if (String(input).includes('/api/account/token')) tokenFetches++;
      return fetch(input, init);
    };
    const network = new Network();
    const ivyClient = newClient(network, { fetch: countingFetch, refreshMarginMs: 48 * 3600_000 });
    const jackClient = newClient(new Network());
    await ivyClient.login('ivy@sdk.test', 'secret-1');
    expect((await ivyClient.accounts()).list.map((a) => a.name).sort()).toEqual([
      'ivy',
      'ivy-work',
    ]);
    jackClient.setUserToken({ token: jack.userToken, expired_at: '2999-01-01T00:00:00.000Z' });
    await jackClient.switchAccount(j.id);

    const got: [number, string][] = [];
    ivyClient.onMessage((m) => got.push([m.relation_id, m.msg_content]));
    await ivyClient.switchAccount(home.id);
    expect(ivyClient.accountId).toBe(home.id);
    expect(ivyClient.socket?.auth?.account_id).toBe(home.id);
    expect(ivyClient.conversation(toHome)).toBeDefined();
    expect(ivyClient.conversation(toWork)).toBeUndefined();
    expect(tokenFetches).toBeGreaterThanOrEqual(2); // one for the REST calls, one per connection

    await jackClient.send({ relation_id: toHome, msg_content: 'to home 1' });
    await waitFor(() => got.length === 1, { what: 'to home 1' });

    const fetchesBefore = tokenFetches;
    await ivyClient.switchAccount(work.id);
    expect(ivyClient.socket?.auth?.account_id).toBe(work.id);
    expect(tokenFetches).toBeGreaterThan(fetchesBefore);
    // While ivy is on her work account, jack writes to both.
    await jackClient.send({ relation_id: toHome, msg_content: 'to home 2' });
    await jackClient.send({ relation_id: toWork, msg_content: 'to work 1' });
    await waitFor(() => got.some(([, t]) => t === 'to work 1'), { what: 'to work 1' });
    await new Promise((r) => setTimeout(r, 300));
    expect(got.filter(([r]) => r === toHome).map(([, t]) => t)).toEqual(['to home 1']);

    // Back home: the message sent meanwhile comes by sync, once, after where she left.
    await ivyClient.switchAccount(home.id);
    await waitFor(() => got.some(([, t]) => t === 'to home 2'), { what: 'to home 2' });
    expect(got).toEqual([
      [toHome, 'to home 1'],
      [toWork, 'to work 1'],
      [toHome, 'to home 2'],
    ]);
    expect(ivyClient.conversation(toHome)?.last_seq).toBe(3);
    expect(ivyClient.unreadCount()).toBe(1);

    // The same account on a second device: a read there moves this device's cursor.
    const other = newClient(new Network());
    other.setUserToken({ token: ivy.userToken, expired_at: '2999-01-01T00:00:00.000Z' });
    await other.switchAccount(home.id, { cursors: ivyClient.cursors() });
    const reads: number[] = [];
    ivyClient.onRead((c) => reads.push(c.last_read_msg_id));
    const lastId = await other.markRead(
      toHome,
      (await api.msg.sync(home.token, { relations: [{ relation_id: toHome, after_seq: 2 }] }))
        .list[0].messages[0].id,
    );
    await waitFor(() => reads.includes(lastId), { what: 'the read_msg push on the first device' });
    expect(ivyClient.unreadCount(toHome)).toBe(0);
    other.close();
    await waitFor(() => pushes.some((p) => p.event === 'account_logout'), {
      what: 'account_logout on the first device',
    });
  }, 60_000);

  it('sends typing and watches presence through ChatSocket', async () => {
    const jo = await registerUser('jo@example.com', ['jo']);
    const kim = await registerUser('kim@example.com', ['kim']);
    const [j, k] = [jo.accounts[0]!, kim.accounts[0]!];
    const relation = await befriend(j, k);
    const joClient = newClient(new Network());
    const kimClient = newClient(new Network());
    joClient.setUserToken({ token: jo.userToken, expired_at: '2999-01-01T00:00:00.000Z' });
    kimClient.setUserToken({ token: kim.userToken, expired_at: '2999-01-01T00:00:00.000Z' });
    await joClient.switchAccount(j.id);
    await kimClient.switchAccount(k.id);
    const indicators = new TypingIndicators();
    kimClient.on('typing', (data) => indicators.apply(data));

    expect(await joClient.socket!.sendTyping(relation, true)).toEqual({ forwarded: true });
    await waitFor(() => indicators.typing(relation).includes(j.id), { what: 'typing at kim' });

    const watched = await kimClient.socket!.subscribePresence([j.id]);
    expect(watched.presences).toEqual([
      { account_id: j.id, online: true, last_seen: expect.any(String) },
    ]);
    const seen: boolean[] = [];
    kimClient.on('presence', (data) => seen.push(data.online));
    joClient.close();
    await waitFor(() => seen.includes(false), { what: 'jo offline at kim' });
    expect(await kimClient.socket!.unsubscribePresence([j.id])).toEqual({ watching: 0 });
    expect(await kimClient.socket!.setPresenceHidden(false)).toEqual({ hidden: false });
  }, 60_000);

  it('received only pushes that parse, unchanged, with their schema in @chat/protocol', () => {
    // The tests above cause every push of docs/protocol.md §4.
    const events = new Set(pushes.map((p) => p.event));
    expect([...events].sort()).toEqual(Object.keys(PUSH_DATA).sort());
    for (const { event, data } of pushes) {
      const parsed = PUSH_DATA[event].safeParse(data);
      expect({ event, success: parsed.success }).toEqual({ event, success: true });
      // Nothing dropped: the schema names every field the server sent.
      expect(parsed.data).toEqual(data);
    }
  });
});
