import { ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import { waitFor, WsClient, type WsPush } from '@chat/testing';
import { ok } from './support/http';
import { startTargetStack, type TargetStack } from './support/target';
import { openSession, type Session } from './support/session';

/**
 * Hiding presence over REST (docs/api.md §9, `GET`/`PUT /api/setting/presence`): the same
 * setting as the `presence_hidden` frame, and its watchers told at once, whichever gateway
 * holds them. Ann watches her friend Bob.
 */
describe('presence setting over REST', () => {
  let stack: TargetStack;
  let ann: Session;
  let bob: Session;
  const sockets: WsClient[] = [];

  beforeAll(async () => {
    stack = await startTargetStack('e2e_presence_setting', {}, { gateways: 2 });
    [ann, bob] = await Promise.all([
      openSession(stack, 'ann.hide@example.com', 'ann'),
      openSession(stack, 'bob.hide@example.com', 'bob'),
    ]);
    await ann.befriend(bob);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(sockets.map((ws) => ws.close().catch(() => undefined)));
    await stack?.stop();
  });

  async function connect(s: Session, gateway: number): Promise<WsClient> {
    const gw = stack.gateways[gateway % stack.gateways.length]!;
    const ws = await WsClient.connect(gw.wsUrl, { token: s.accountToken });
    expect((await ws.request('ping')).status_code).toBe(0);
    sockets.push(ws);
    return ws;
  }

  const aboutBob = (p: WsPush) =>
    p.event === PUSH_EVENTS.presence && p.data?.account_id === bob.accountId;
  const setting = async (s: Session) =>
    ok(await s.api.get('/api/setting/presence', { token: s.accountToken }));
  const put = (s: Session, body: unknown) =>
    s.api.put('/api/setting/presence', { token: s.accountToken, body });

  it('hides Bob from his watcher at once, and shows him again', async () => {
    const annWs = await connect(ann, 0);
    const bobWs = await connect(bob, 1);
    const sub = await annWs.request('presence_subscribe', { account_ids: [bob.accountId] });
    expect(sub.data.presences[0]).toMatchObject({ account_id: bob.accountId, online: true });
    expect(await setting(bob)).toEqual({ hidden: false });

    let mark = annWs.pushes.length;
    expect(ok(await put(bob, { hidden: true }))).toEqual({ hidden: true });
    const hidden = await waitFor(() => annWs.pushes.slice(mark).find(aboutBob), {
      timeoutMs: 15_000,
      what: 'bob shown hidden',
    });
    expect(hidden.data).toEqual({ account_id: bob.accountId, online: false, last_seen: null });
    expect(await setting(bob)).toEqual({ hidden: true });
    // The frame's setting: a new subscriber sees him hidden, he still sees himself.
    const self = await bobWs.request('presence_subscribe', { account_ids: [bob.accountId] });
    expect(self.data.presences[0]).toMatchObject({ online: true });

    mark = annWs.pushes.length;
    expect(ok(await put(bob, { hidden: false }))).toEqual({ hidden: false });
    const shown = await waitFor(() => annWs.pushes.slice(mark).find(aboutBob), {
      timeoutMs: 15_000,
      what: 'bob shown again',
    });
    expect(shown.data).toMatchObject({ account_id: bob.accountId, online: true });
    expect(await setting(bob)).toEqual({ hidden: false });
    // Set again unchanged: nothing to push.
    ok(await put(bob, { hidden: false }));
    await new Promise((r) => setTimeout(r, 1000));
    expect(annWs.pushes.slice(mark).filter(aboutBob)).toHaveLength(1);
  }, 60_000);

  it('refuses a body without a boolean hidden, and calls without an account token', async () => {
    for (const body of [{}, { hidden: 'yes' }, { hidden: null }]) {
      const res = await put(bob, body);
      expect(res.status_code).toBe(ErrorCode.InvalidParams);
    }
    const anon = await stack.api.get('/api/setting/presence', {});
    expect(anon.status_code).not.toBe(0);
    expect(await setting(bob)).toEqual({ hidden: false });
  });
});
