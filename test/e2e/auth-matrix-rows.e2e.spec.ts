import { Client } from 'pg';
import { ErrorCode } from '@chat/protocol';
import { waitFor, WsClient, type WsPush } from '@chat/testing';
import { createAccount, makeFriends, registerUser, type Actor } from './support/actors';
import { ok, type Reply } from './support/http';
import { startTargetStack, type TargetStack } from './support/target';

/** A user with its one account. */
interface Person extends Actor {
  userToken: string;
}

/** One call of the matrix: who does what, and the code the spec answers it with. */
interface Case {
  row: Row;
  what: string;
  code: number;
  run(): Promise<{ status_code: number; data?: unknown }>;
}

type Row = "another user's account" | 'stranger to the relation' | 'member without the right';
const ROWS: Row[] = [
  "another user's account",
  'stranger to the relation',
  'member without the right',
];

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(200, 7),
]);

/**
 * The permission rows of the authorization matrix (the credential rows are in
 * auth-matrix.e2e.spec.ts): every REST endpoint and client event that acts on something
 * owned by someone, called by someone it does not belong to, answers the spec's code and
 * changes nothing.
 *
 * - another user's account: sam's user token names ann's account; sam's socket presents
 *   ann's token;
 * - stranger to the relation: sam, in neither the friendship ann–bob nor lea's group, acts
 *   on them (messages, history, sync, pin/top/revoke, files, settings, group and notice
 *   operations), or names their messages and notices from a relation of his own;
 * - member without the right: mia, an ordinary member of lea's group, does what only the
 *   leader may; a member revokes someone else's message (only the sender may, docs/api.md §11),
 *   deletes her self conversation, or handles an application from the wrong side.
 *
 * Nothing changed: the state the members read over REST (history with pin/top/revoke
 * flags and read receipts, members, leader, notices, files, settings, applications,
 * accounts) is the same after the calls, and on the distributed target every table's rows
 * are hashed before and after as well. What sam can list without naming a relation shows
 * nothing of theirs, and his socket receives none of their pushes.
 *
 * What the spec lets any member do is not a row here: rename the group (docs/api.md §10),
 * edit a notice (§13), change the group's avatar (§12), invite friends (§10).
 */
describe('authorization matrix: permission rows', () => {
  let stack: TargetStack;
  let ann: Person;
  let bob: Person;
  let lea: Person;
  let mia: Person;
  let sam: Person;
  /** ann–bob, lea's group (mia a plain member), sam's own group and self conversation. */
  let friendship: number;
  let group: number;
  let samGroup: number;
  let samSelf: number;
  let bobSelf: number;
  const msgs: Record<string, number> = {};
  let notice: number;
  let groupAvatarFile: number;
  /** A message file in each relation. */
  const files = { friendship: 0, group: 0 };
  let db: Client | undefined;
  let outboxSequence = '';
  const sockets = new Map<string, WsClient>();

  const api = () => stack.api;
  const text = (name: string) => `${name}: for members only`;

  beforeAll(async () => {
    // Uploads are limited per address before authentication (one test client here).
    stack = await startTargetStack(
      'e2e_authz_rows',
      { LIMIT_API_LIMIT_UPLOAD: '[]' },
      { gateways: 1, workers: true },
    );
    const person = async (name: string): Promise<Person> => {
      const user = await registerUser(stack, `${name}.rows@example.com`);
      return { ...(await createAccount(stack.api, user.token, name)), userToken: user.token };
    };
    [ann, bob, lea, mia, sam] = await Promise.all(['ann', 'bob', 'lea', 'mia', 'sam'].map(person));
    friendship = await makeFriends(api(), ann, bob);
    await makeFriends(api(), lea, mia);
    group = ok(
      await api().post('/api/group/create', {
        token: lea.token,
        body: { name: 'lea’s group', description: 'members only' },
      }),
    ).relation_id;
    ok(
      await api().post('/api/group/invite', {
        token: lea.token,
        body: { relation_id: group, account_id: [mia.id] },
      }),
    );
    samGroup = ok(
      await api().post('/api/group/create', {
        token: sam.token,
        body: { name: 'sam’s group', description: 'his own' },
      }),
    ).relation_id;
    const selfOf = async (p: Person) =>
      ok(await api().get('/api/account/info', { token: p.token, query: { account_id: p.id } }))
        .relation_id as number;
    samSelf = await selfOf(sam);
    bobSelf = await selfOf(bob);
    // mia applies to ann: an application sam is no side of.
    ok(
      await api().post('/api/application/create', {
        token: mia.token,
        body: { account_id: ann.id, apply_msg: 'hello ann' },
      }),
    );

    for (const p of [ann, bob, lea, mia, sam]) {
      const ws = await WsClient.connect(stack.gateways[0].wsUrl, { token: p.token });
      sockets.set(p.name, ws);
      expect((await ws.request('ping')).status_code).toBe(0);
    }
    const sendOk = async (who: Person, relationId: number, name: string) => {
      const ack = await sockets.get(who.name)!.request('send_msg', {
        relation_id: relationId,
        msg_content: text(name),
      });
      expect({ name, code: ack.status_code }).toEqual({ name, code: 0 });
      msgs[name] = ack.data.msg_id;
    };
    await sendOk(ann, friendship, 'f-ann');
    await sendOk(bob, friendship, 'f-bob');
    await sendOk(lea, group, 'g-lea');
    await sendOk(mia, group, 'g-mia');
    // Read receipts exist, so a change of them would show in `read_ids`.
    const read = await sockets.get('bob')!.request('read_msg', {
      relation_id: friendship,
      msg_ids: [msgs['f-ann']],
    });
    expect(read.status_code).toBe(0);
    await waitFor(async () => (await history(lea, group)).length >= 2 || undefined, {
      what: 'the group’s messages stored',
    });
    ok(
      await api().put('/api/msg/update/pin', {
        token: lea.token,
        body: { id: msgs['g-lea'], relation_id: group, is_pin: true },
      }),
    );
    ok(
      await api().put('/api/msg/update/top', {
        token: lea.token,
        body: { id: msgs['g-lea'], relation_id: group, is_top: true },
      }),
    );
    notice = ok(
      await api().post('/api/notify/create', {
        token: lea.token,
        body: { relation_id: group, msg_content: 'notice: members only' },
      }),
    ).id;
    expect((await upload('/api/file/avatar', lea, group)).status_code).toBe(0);
    groupAvatarFile = ok(
      await api().post('/api/file/getall', { token: lea.token, body: { relation_id: group } }),
    ).list[0].file_id;
    // File messages (docs/api.md §11): a document in the friendship, an image in the group.
    const annFile = ok(await uploadReply(ann, friendship, msgs['f-bob']));
    files.friendship = annFile.file_id;
    msgs['f-file'] = annFile.id;
    const leaFile = ok(await upload('/api/msg/file', lea, group));
    files.group = leaFile.file_id;
    msgs['g-file'] = leaFile.id;
    // Every member hears of a file message, the uploader's sockets included.
    for (const [who, id] of [
      ['ann', annFile.id],
      ['bob', annFile.id],
      ['lea', leaFile.id],
      ['mia', leaFile.id],
    ] as const) {
      const push = await sockets
        .get(who)!
        .waitForPush(
          (p) => p.event === 'send_msg' && p.data.msg_info.id === id,
          `the file message at ${who}`,
        );
      expect(push.data.msg_info).toMatchObject({ msg_type: 'file', file_id: expect.any(Number) });
    }
    // The system messages (friendship, top) are stored through the outbox and the bus.
    const system = async (p: Person, relationId: number) =>
      (await history(p, relationId)).find((m) => m.notify_type === 'system')?.id;
    msgs['f-system'] = await waitFor(() => system(ann, friendship), {
      what: 'the friendship’s system message',
    });
    msgs['g-system'] = await waitFor(() => system(lea, group), { what: 'the top system message' });
    await waitFor(
      async () =>
        (await history(ann, friendship)).length === 4 && (await history(lea, group)).length === 4,
      { what: 'every message of the setup stored' },
    );

    if (stack.ctx) {
      db = new Client({ connectionString: stack.ctx.databaseUrl });
      await db.connect();
      outboxSequence = (
        await db.query<{ s: string }>(`select pg_get_serial_sequence('outbox', 'id') as s`)
      ).rows[0].s;
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...sockets.values()].map((ws) => ws.close()));
    await db?.end();
    await stack?.stop();
  });

  interface Msg {
    id: number;
    notify_type: string;
    msg_content: string;
    account_id: number;
    is_revoke: boolean;
    is_pin: boolean;
    is_top: boolean;
    read_ids: number[] | null;
  }

  async function history(p: Person, relationId: number): Promise<Msg[]> {
    return ok(
      await api().get('/api/msg/list/time', {
        token: p.token,
        query: {
          relation_id: relationId,
          last_time: Math.floor(Date.now() / 1000) + 3600,
          page_size: 200,
        },
      }),
    ).list;
  }

  async function upload(path: string, p: Person, relationId: number): Promise<Reply> {
    const form = new FormData();
    form.set('relation_id', String(relationId));
    form.set('file', new Blob([PNG], { type: 'image/png' }), 'a.png');
    const res = await fetch(new URL(path, api().baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${p.token}` },
      body: form,
    });
    return { http: res.status, ...((await res.json()) as Omit<Reply, 'http'>) };
  }

  /** What the members (and sam, of himself) read over REST: all of it must stay as it is. */
  async function readBack(): Promise<Record<string, unknown>> {
    const get = async (p: Person, path: string, query: Record<string, string | number> = {}) =>
      ok(await api().get(path, { token: p.token, query: { page_size: 200, ...query } }));
    const post = async (p: Person, path: string, body: unknown) =>
      ok(await api().post(path, { token: p.token, body }));
    const out: Record<string, unknown> = {};
    for (const p of [ann, bob]) {
      out[`${p.name} history`] = await history(p, friendship);
      out[`${p.name} top`] = await get(p, '/api/msg/info/top', { relation_id: friendship });
      out[`${p.name} pins`] = await get(p, '/api/msg/list/pin', { relation_id: friendship });
      out[`${p.name} files`] = await post(p, '/api/file/getall', { relation_id: friendship });
    }
    for (const p of [lea, mia]) {
      out[`${p.name} history`] = await history(p, group);
      out[`${p.name} top`] = await get(p, '/api/msg/info/top', { relation_id: group });
      out[`${p.name} pins`] = await get(p, '/api/msg/list/pin', { relation_id: group });
      out[`${p.name} members`] = await get(p, '/api/group/members', { relation_id: group });
      out[`${p.name} notices`] = await get(p, '/api/notify/getnotify', { relation_id: group });
      out[`${p.name} files`] = await post(p, '/api/file/getall', { relation_id: group });
    }
    for (const p of [ann, bob, lea, mia, sam]) {
      out[`${p.name} feed`] = await get(p, '/api/msg/list/feed', { last_time: 1 });
      out[`${p.name} shows`] = await get(p, '/api/setting/shows');
      out[`${p.name} pinned settings`] = await get(p, '/api/setting/pins');
      out[`${p.name} friends`] = await get(p, '/api/setting/friend/list');
      out[`${p.name} groups`] = await get(p, '/api/group/list');
      out[`${p.name} applications`] = await get(p, '/api/application/list');
      out[`${p.name} accounts`] = ok(
        await api().get('/api/account/infos/user', { token: p.userToken }),
      );
      out[`${p.name} profile`] = await get(p, '/api/account/info', { account_id: p.id });
    }
    return out;
  }

  /** Every table's rows hashed (distributed target); the outbox by its id sequence. */
  async function snapshot(): Promise<Record<string, string>> {
    if (!db) return {};
    const { rows: tables } = await db.query<{ t: string }>(
      `select tablename as t from pg_tables where schemaname = current_schema()
        and tablename not like 'mikro_orm%' order by 1`,
    );
    const out: Record<string, string> = {};
    for (const { t } of tables) {
      if (t === 'outbox') {
        // Relayed records are deleted: one written and relayed since would not show in the
        // rows, but it took an id.
        const { rows } = await db.query<{ v: string }>(
          `select last_value as v from ${outboxSequence}`,
        );
        out.outbox = `ids up to ${rows[0].v}`;
        continue;
      }
      const { rows } = await db.query<{ h: string | null }>(
        `select md5(string_agg(x::text, '|' order by x::text)) as h from "${t}" x`,
      );
      out[t] = rows[0].h ?? '';
    }
    return out;
  }

  /** The cases, built once the setup's ids are known. */
  function cases(): Case[] {
    const list: Case[] = [];
    const add = (row: Row, what: string, code: number, run: Case['run']) =>
      list.push({ row, what, code, run });
    const as = (p: Person) => ({
      get: (path: string, query: Record<string, string | number>) =>
        api().get(path, { token: p.token, query }),
      post: (path: string, body: unknown) => api().post(path, { token: p.token, body }),
      put: (path: string, body: unknown) => api().put(path, { token: p.token, body }),
      del: (path: string, body: unknown) => api().delete(path, { token: p.token, body }),
      ws: (event: string, data: unknown) => sockets.get(p.name)!.request(event, data),
    });
    const lastTime = Math.floor(Date.now() / 1000) + 3600;

    // Another user's account.
    const own = "another user's account";
    add(own, 'GET /api/account/token for ann’s account with sam’s user token', 2009, () =>
      api().get('/api/account/token', { token: sam.userToken, query: { account_id: ann.id } }),
    );
    add(own, 'DELETE /api/account/delete of ann’s account with sam’s user token', 2009, () =>
      api().delete('/api/account/delete', { token: sam.userToken, body: { account_id: ann.id } }),
    );
    add(
      own,
      'DELETE /api/account/delete of lea’s (a leader’s) account: 2009 before 3006',
      2009,
      () =>
        api().delete('/api/account/delete', { token: sam.userToken, body: { account_id: lea.id } }),
    );
    add(own, 'auth frame with ann’s token on sam’s socket (binding unchanged)', 2008, async () => {
      const reply = await as(sam).ws('auth', { token: ann.token });
      // Still sam's: ann's conversation stays closed to this socket.
      const after = await as(sam).ws('read_msg', {
        relation_id: friendship,
        msg_ids: [msgs['f-ann']],
      });
      return after.status_code === ErrorCode.PermissionDenied ? reply : after;
    });

    // A stranger to the relation: sam, on the friendship and on the group.
    const out = 'stranger to the relation';
    for (const [name, relationId, msgId] of [
      ['friendship', friendship, msgs['f-ann']],
      ['group', group, msgs['g-lea']],
    ] as const) {
      const s = as(sam);
      add(out, `send_msg into the ${name}`, 2009, () =>
        s.ws('send_msg', { relation_id: relationId, msg_content: 'let me in' }),
      );
      add(out, `send_msg into the ${name} with a client_msg_id`, 2009, () =>
        s.ws('send_msg', {
          relation_id: relationId,
          msg_content: 'me too',
          client_msg_id: `x-${name}`,
        }),
      );
      add(out, `read_msg in the ${name}`, 2009, () =>
        s.ws('read_msg', { relation_id: relationId, msg_ids: [msgId] }),
      );
      add(out, `GET /api/msg/list/time of the ${name}`, 2009, () =>
        s.get('/api/msg/list/time', { relation_id: relationId, last_time: lastTime }),
      );
      add(out, `GET /api/msg/list/pin of the ${name}`, 2009, () =>
        s.get('/api/msg/list/pin', { relation_id: relationId }),
      );
      add(out, `GET /api/msg/list/rly of the ${name}`, 2009, () =>
        s.get('/api/msg/list/rly', { relation_id: relationId, rly_msg_id: msgId }),
      );
      add(out, `GET /api/msg/list/content in the ${name}`, 2009, () =>
        s.get('/api/msg/list/content', { relation_id: relationId, content: 'members' }),
      );
      add(out, `GET /api/msg/info/top of the ${name}`, 2009, () =>
        s.get('/api/msg/info/top', { relation_id: relationId }),
      );
      add(out, `POST /api/msg/sync of the ${name}`, 2009, () =>
        s.post('/api/msg/sync', { relations: [{ relation_id: relationId, after_seq: 0 }] }),
      );
      add(out, `PUT /api/msg/update/pin in the ${name}`, 2009, () =>
        s.put('/api/msg/update/pin', { id: msgId, relation_id: relationId, is_pin: false }),
      );
      add(out, `PUT /api/msg/update/top in the ${name}`, 2009, () =>
        s.put('/api/msg/update/top', { id: msgId, relation_id: relationId, is_top: false }),
      );
      add(out, `PUT /api/msg/update/revoke of a message in the ${name}`, 2009, () =>
        s.put('/api/msg/update/revoke', { id: msgId }),
      );
      add(out, `POST /api/msg/file into the ${name}`, 2009, () =>
        upload('/api/msg/file', sam, relationId),
      );
      add(out, `POST /api/file/getall of the ${name}`, 2009, () =>
        s.post('/api/file/getall', { relation_id: relationId }),
      );
      add(out, `POST /api/file/details of a message file of the ${name}`, 2009, () =>
        s.post('/api/file/details', { file_id: files[name] }),
      );
      for (const [path, body] of [
        ['nick_name', { nick_name: 'intruder' }],
        ['pin', { is_pin: true }],
        ['disturb', { is_not_disturb: true }],
        ['show', { is_show: true }],
      ] as const) {
        add(out, `PUT /api/setting/update/${path} of the ${name}`, 4002, () =>
          s.put(`/api/setting/update/${path}`, { relation_id: relationId, ...body }),
        );
      }
      add(
        out,
        `DELETE /api/setting/friend/delete of the ${name}`,
        name === 'friendship' ? 2009 : 4002,
        () => s.del('/api/setting/friend/delete', { relation_id: relationId }),
      );
      add(out, `POST /api/group/transfer of the ${name}`, 7001, () =>
        s.post('/api/group/transfer', { relation_id: relationId, to_account_id: sam.id }),
      );
      add(out, `POST /api/group/dissolve of the ${name}`, 7001, () =>
        s.post('/api/group/dissolve', { relation_id: relationId }),
      );
      add(out, `POST /api/group/update of the ${name}`, 7003, () =>
        s.post('/api/group/update', { relation_id: relationId, name: 'mine', description: 'now' }),
      );
      add(out, `POST /api/group/invite into the ${name}`, 7003, () =>
        s.post('/api/group/invite', { relation_id: relationId, account_id: [sam.id] }),
      );
      add(out, `POST /api/group/quit of the ${name}`, 7003, () =>
        s.post('/api/group/quit', { relation_id: relationId }),
      );
      add(out, `GET /api/group/members of the ${name}`, 7003, () =>
        s.get('/api/group/members', { relation_id: relationId }),
      );
      add(out, `POST /api/file/avatar of the ${name}`, name === 'friendship' ? 4002 : 7003, () =>
        upload('/api/file/avatar', sam, relationId),
      );
    }
    const s = as(sam);
    add(out, 'POST /api/notify/create in the group', 7003, () =>
      s.post('/api/notify/create', { relation_id: group, msg_content: 'sam was here' }),
    );
    add(out, 'POST /api/notify/update of the group’s notice', 7003, () =>
      s.post('/api/notify/update', { id: notice, relation_id: group, msg_content: 'sam was here' }),
    );
    add(out, 'GET /api/notify/getnotify of the group', 7003, () =>
      s.get('/api/notify/getnotify', { relation_id: group }),
    );
    add(out, 'GET /api/notify/delete of the group’s notice', 7003, () =>
      s.get('/api/notify/delete', { id: notice, relation_id: group }),
    );
    // Their messages and notices named from relations of his own.
    add(out, 'PUT /api/msg/update/pin of the group’s message, in his self conversation', 5001, () =>
      s.put('/api/msg/update/pin', { id: msgs['g-lea'], relation_id: samSelf, is_pin: false }),
    );
    add(out, 'PUT /api/msg/update/top of the friendship’s message, in his group', 5001, () =>
      s.put('/api/msg/update/top', { id: msgs['f-ann'], relation_id: samGroup, is_top: true }),
    );
    add(out, 'send_msg into his group replying to the group’s message', 5004, () =>
      s.ws('send_msg', {
        relation_id: samGroup,
        msg_content: 'quoting',
        rly_msg_id: msgs['g-lea'],
      }),
    );
    add(out, 'POST /api/msg/file into his group replying to the friendship’s message', 5004, () =>
      uploadReply(sam, samGroup, msgs['f-ann']),
    );
    add(out, 'POST /api/notify/update of the group’s notice, in his group', 9001, () =>
      s.post('/api/notify/update', { id: notice, relation_id: samGroup, msg_content: 'mine' }),
    );
    add(out, 'GET /api/notify/delete of the group’s notice, in his group', 9001, () =>
      s.get('/api/notify/delete', { id: notice, relation_id: samGroup }),
    );
    // Applications he is no side of: mia applied to ann.
    add(out, 'PUT /api/application/accept of mia’s application to ann', 3002, () =>
      s.put('/api/application/accept', { account_id: mia.id }),
    );
    add(out, 'PUT /api/application/refuse of mia’s application to ann', 3002, () =>
      s.put('/api/application/refuse', { account_id: mia.id, refuse_msg: 'no' }),
    );
    add(out, 'DELETE /api/application/delete of an application to ann', 3002, () =>
      s.del('/api/application/delete', { account_id: ann.id }),
    );

    // A member without the right.
    const right = 'member without the right';
    const m = as(mia);
    add(right, 'POST /api/group/transfer by a plain member', 7001, () =>
      m.post('/api/group/transfer', { relation_id: group, to_account_id: mia.id }),
    );
    add(right, 'POST /api/group/dissolve by a plain member', 7001, () =>
      m.post('/api/group/dissolve', { relation_id: group }),
    );
    add(right, 'POST /api/notify/create by a plain member', 7001, () =>
      m.post('/api/notify/create', { relation_id: group, msg_content: 'mia’s notice' }),
    );
    add(right, 'GET /api/notify/delete by a plain member', 7001, () =>
      m.get('/api/notify/delete', { id: notice, relation_id: group }),
    );
    add(right, 'PUT /api/msg/update/revoke of the leader’s message by a member', 2009, () =>
      m.put('/api/msg/update/revoke', { id: msgs['g-lea'] }),
    );
    add(right, 'PUT /api/msg/update/revoke of the leader’s file message by a member', 2009, () =>
      m.put('/api/msg/update/revoke', { id: msgs['g-file'] }),
    );
    add(right, 'PUT /api/msg/update/revoke of the group’s system message', 2009, () =>
      m.put('/api/msg/update/revoke', { id: msgs['g-system'] }),
    );
    add(right, 'PUT /api/msg/update/revoke of a member’s message by the leader', 2009, () =>
      as(lea).put('/api/msg/update/revoke', { id: msgs['g-mia'] }),
    );
    add(right, 'PUT /api/msg/update/revoke of the friend’s message', 2009, () =>
      as(bob).put('/api/msg/update/revoke', { id: msgs['f-ann'] }),
    );
    add(right, 'PUT /api/msg/update/revoke of the friendship’s system message', 2009, () =>
      as(bob).put('/api/msg/update/revoke', { id: msgs['f-system'] }),
    );
    add(right, 'DELETE /api/setting/friend/delete of one’s self conversation', 2009, () =>
      as(bob).del('/api/setting/friend/delete', { relation_id: bobSelf }),
    );
    add(right, 'PUT /api/application/accept of one’s own application', 3002, () =>
      m.put('/api/application/accept', { account_id: ann.id }),
    );
    add(right, 'PUT /api/application/refuse of one’s own application', 3002, () =>
      m.put('/api/application/refuse', { account_id: ann.id, refuse_msg: 'no' }),
    );
    add(right, 'DELETE /api/application/delete of an application to oneself', 3002, () =>
      as(ann).del('/api/application/delete', { account_id: mia.id }),
    );
    return list;
  }

  async function uploadReply(p: Person, relationId: number, rlyMsgId: number): Promise<Reply> {
    const form = new FormData();
    form.set('relation_id', String(relationId));
    form.set('rly_msg_id', String(rlyMsgId));
    form.set('file', new Blob([Buffer.from('a text file')], { type: 'text/plain' }), 'a.txt');
    const res = await fetch(new URL('/api/msg/file', api().baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${p.token}` },
      body: form,
    });
    return { http: res.status, ...((await res.json()) as Omit<Reply, 'http'>) };
  }

  it('refuses every call of each row with the spec’s code, and nothing changes', async () => {
    const before = { rest: await readBack(), db: await snapshot() };
    const all = cases();
    const wrong: string[] = [];
    for (const c of all) {
      const reply = await c.run();
      if (reply.status_code !== c.code || reply.data !== undefined) {
        wrong.push(`${c.row}: ${c.what}: ${reply.status_code}, expected ${c.code}`);
      }
    }
    expect(wrong).toEqual([]);
    const after = { rest: await readBack(), db: await snapshot() };
    expect(after).toEqual(before);
    const perRow = ROWS.map((row) => `${row} ${all.filter((c) => c.row === row).length}`);
    const tables = db ? `${Object.keys(before.db).length} tables` : 'no database (standalone)';
    process.stdout.write(
      `\n[authz] ${perRow.join(', ')} = ${all.length} calls refused with the spec's code; ` +
        `unchanged: ${Object.keys(before.rest).length} REST views, ${tables}\n`,
    );
  }, 120_000);

  it('shows the stranger nothing of theirs where he names no relation', async () => {
    const s = sam.token;
    const feed = ok(await api().get('/api/msg/list/feed', { token: s, query: { last_time: 1 } }));
    const theirs = (relationId: number) => relationId === friendship || relationId === group;
    expect(feed.list.filter((m: Msg & { relation_id: number }) => theirs(m.relation_id))).toEqual(
      [],
    );
    const found = ok(
      await api().get('/api/msg/list/content', { token: s, query: { content: 'members only' } }),
    );
    expect(found).toEqual({ list: [], total: 0 });
    const replies = ok(
      await api().get('/api/msg/list/rly', {
        token: s,
        query: { relation_id: samGroup, rly_msg_id: msgs['g-lea'] },
      }),
    );
    expect(replies).toEqual({ list: [], total: 0 });
    for (const path of ['/api/setting/shows', '/api/setting/friend/list', '/api/group/list']) {
      const list = ok(await api().get(path, { token: s })).list as { relation_id: number }[];
      expect({ path, theirs: list.filter((x) => theirs(x.relation_id)) }).toEqual({
        path,
        theirs: [],
      });
    }
    const accounts = ok(await api().get('/api/account/infos/user', { token: sam.userToken }));
    expect(accounts.list.map((a: { account_id: number }) => a.account_id)).toEqual([sam.id]);
    // The group's avatar is readable by anyone (docs/api.md §12); its other files are not listed.
    expect(
      ok(await api().post('/api/file/details', { token: s, body: { file_id: groupAvatarFile } }))
        .file_id,
    ).toBe(groupAvatarFile);
    // Every push sam's socket got was about his own relations or his own account.
    const about = (p: WsPush) =>
      (p.data?.relation_id ?? p.data?.msg_info?.relation_id) as number | undefined;
    expect(sockets.get('sam')!.pushes.filter((p) => theirs(about(p) ?? 0))).toEqual([]);
  });
});
