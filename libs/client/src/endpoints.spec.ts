import { ChatApi } from './api';
import { ROUTES, routeList } from './endpoints';
import { ChatError } from './errors';

interface Seen {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records each request and answers with the given envelope. */
function recordingFetch(
  seen: Seen[],
  reply: object = { status_code: 0, status_msg: 'ok', data: {} },
) {
  return (async (input: string, init: RequestInit) => {
    seen.push({
      method: String(init.method),
      url: new URL(input),
      headers: init.headers as Record<string, string>,
      body: init.body,
    });
    return new Response(JSON.stringify(reply));
  }) as unknown as typeof fetch;
}

describe('ChatApi typed routes (docs/api.md)', () => {
  it('has a method for every route of the table, one route per method and path', () => {
    const api = new ChatApi({ baseUrl: 'http://x' }) as unknown as Record<
      string,
      Record<string, unknown>
    >;
    const list = routeList();
    expect(list).toHaveLength(73); // docs/api.md §15, GET /api/ping included
    expect(new Set(list.map((r) => `${r.method} ${r.path}`)).size).toBe(list.length);
    for (const [area, methods] of Object.entries(ROUTES)) {
      for (const name of Object.keys(methods)) expect(typeof api[area][name]).toBe('function');
    }
  });

  it('sends the token, and the input where each route reads it', async () => {
    const seen: Seen[] = [];
    const api = new ChatApi({ baseUrl: 'http://h:1/', fetch: recordingFetch(seen) });
    await api.user.login({ email: 'a@b.c', password: 'secret-1' });
    await api.account.token('user-token', { account_id: 7 });
    await api.account.delete('user-token', { account_id: 7 });
    await api.msg.listByTime('acc', { relation_id: 3, last_time: 1700000000, page: 2 });
    await api.group.searchByName('acc', { name: 'g', page_size: 5 });
    await api.setting.friendList('acc');

    expect(seen.map((s) => `${s.method} ${s.url.pathname}`)).toEqual([
      'POST /api/user/login',
      'GET /api/account/token',
      'DELETE /api/account/delete',
      'GET /api/msg/list/time',
      'POST /api/group/name',
      'GET /api/setting/friend/list',
    ]);
    expect(seen[0].headers).toEqual({ 'Content-Type': 'application/json' });
    expect(JSON.parse(String(seen[0].body))).toEqual({ email: 'a@b.c', password: 'secret-1' });
    expect(seen[1].headers).toEqual({ Authorization: 'Bearer user-token' });
    expect(seen[1].url.search).toBe('?account_id=7');
    expect(seen[1].body).toBeUndefined();
    // A DELETE takes its input in the query string: proxies drop DELETE bodies.
    expect(seen[2].url.search).toBe('?account_id=7');
    expect(seen[3].url.searchParams.get('last_time')).toBe('1700000000');
    expect(seen[3].url.searchParams.get('page')).toBe('2');
    expect(JSON.parse(String(seen[4].body))).toEqual({ name: 'g', page_size: 5 });
    expect(seen[5]).toMatchObject({ body: undefined, headers: { Authorization: 'Bearer acc' } });
  });

  it('uploads a file as multipart form data with its fields', async () => {
    const seen: Seen[] = [];
    const api = new ChatApi({ baseUrl: 'http://h', fetch: recordingFetch(seen) });
    await api.msg.sendFile('acc', {
      relation_id: 3,
      rly_msg_id: 9,
      file: new Blob(['hello'], { type: 'text/plain' }),
      fileName: 'a.txt',
    });
    const form = seen[0].body as FormData;
    expect(form).toBeInstanceOf(FormData);
    expect(seen[0].headers).toEqual({ Authorization: 'Bearer acc' });
    expect(form.get('relation_id')).toBe('3');
    expect(form.get('rly_msg_id')).toBe('9');
    const file = form.get('file') as File;
    expect(file.name).toBe('a.txt');
    expect(await file.text()).toBe('hello');
  });

  it('resolves with data, and rejects with a ChatError on a non-zero code', async () => {
    const ok = new ChatApi({
      baseUrl: 'http://h',
      fetch: recordingFetch([], { status_code: 0, status_msg: 'ok', data: { exist: true } }),
    });
    await expect(ok.email.exists({ email: 'a@b.c' })).resolves.toEqual({ exist: true });
    const failing = new ChatApi({
      baseUrl: 'http://h',
      fetch: recordingFetch([], { status_code: 2007, status_msg: 'no token' }),
    });
    const err = await failing.group.list('').catch((e) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ code: 2007, message: 'no token', reason: 'reply' });
  });
});

/** Compile-time checks of the derived types (this file is type-checked with the project). */
export async function typeChecks(api: ChatApi): Promise<void> {
  const login = await api.user.login({ email: 'a', password: 'b' });
  login.user_token.token.toUpperCase();
  const history = await api.msg.listByTime('t', { relation_id: 1, last_time: 5, page: 1 });
  history.list[0].seq.toFixed();
  history.list[0].rly_msg?.msg_id.toFixed();
  const top = await api.msg.top('t', { relation_id: 1 });
  top?.msg_info.is_top.valueOf();
  const members = await api.group.members('t', { relation_id: 2 });
  members[0].is_leader.valueOf();
  const pong: string = await api.misc.ping();
  void pong;
  // @ts-expect-error an unknown field
  await api.user.login({ email: 'a', pass: 'b' });
  // @ts-expect-error an account route needs its token
  await api.group.list();
  // @ts-expect-error the relation is required
  await api.msg.sync('t', {});
  // @ts-expect-error status is a known literal
  const status: 'pending' = (await api.application.list('t', {})).list[0].status;
  void status;
}
